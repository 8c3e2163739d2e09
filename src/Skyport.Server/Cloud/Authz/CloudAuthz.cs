using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Skyport.Server.Identity;
using Skyport.Server.Users;

namespace Skyport.Server.Cloud.Authz;

/// <summary>
/// A user's registered permission for Skyport to act in one cloud account (Galaxy's CloudAuthz).
/// <see cref="Config"/> holds only non-secret settings as JSON; secret fields (client secrets,
/// private keys) are in <see cref="ProtectedSecrets"/>, encrypted with Data Protection.
/// </summary>
public sealed class CloudAuthz
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required string Provider { get; set; }
    public required string Config { get; set; }
    public string? ProtectedSecrets { get; set; }
    /// <summary>The login (<c>authn_id</c>) whose id token is exchanged for cloud credentials.</summary>
    public long? IdentityId { get; set; }
    public string? Description { get; set; }
    public DateTime CreateTime { get; set; }
    public DateTime LastUpdate { get; set; }
    public DateTime? LastActivity { get; set; }
}

internal sealed class CloudAuthzConfiguration : IEntityTypeConfiguration<CloudAuthz>
{
    public void Configure(EntityTypeBuilder<CloudAuthz> b)
    {
        b.ToTable("cloud_authz");
        b.Property(a => a.Provider).HasMaxLength(16);
        b.Property(a => a.Config).HasMaxLength(8192);
        b.Property(a => a.Description).HasMaxLength(1024);
        b.HasIndex(a => a.UserId);
        b.HasOne<User>().WithMany().HasForeignKey(a => a.UserId).OnDelete(DeleteBehavior.Cascade);
        b.HasOne<UserIdentity>().WithMany().HasForeignKey(a => a.IdentityId).OnDelete(DeleteBehavior.Restrict);
    }
}
