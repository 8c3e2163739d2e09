using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Skyport.Server.Users;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>One time the broker obtained cloud credentials (or failed to). Never holds the credential itself.</summary>
public sealed class CredentialIssuance
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public long AuthzId { get; set; }
    public required string Provider { get; set; }
    /// <summary>What the credentials were for: <c>job 12</c>, <c>authorization test</c>, <c>bucket listing</c>.</summary>
    public required string Purpose { get; set; }
    public DateTime IssuedAt { get; set; }
    public DateTime? ExpiresAt { get; set; }
    public bool Succeeded { get; set; }
    public string? Error { get; set; }
}

internal sealed class CredentialIssuanceConfiguration : IEntityTypeConfiguration<CredentialIssuance>
{
    public void Configure(EntityTypeBuilder<CredentialIssuance> b)
    {
        b.ToTable("credential_issuances");
        b.Property(i => i.Provider).HasMaxLength(16);
        b.Property(i => i.Purpose).HasMaxLength(255);
        b.Property(i => i.Error).HasMaxLength(2048);
        b.HasIndex(i => new { i.UserId, i.IssuedAt });
        b.HasIndex(i => i.AuthzId);
        b.HasOne<User>().WithMany().HasForeignKey(i => i.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
