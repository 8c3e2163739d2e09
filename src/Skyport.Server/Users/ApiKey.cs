using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Skyport.Server.Users;

/// <summary>An API key, kept only as the SHA-256 of the key: keys are 128 random bits, so a fast hash is enough.</summary>
public sealed class ApiKey
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required string KeyHash { get; set; }
    public DateTime CreateTime { get; set; }
    public bool Deleted { get; set; }
}

internal sealed class ApiKeyConfiguration : IEntityTypeConfiguration<ApiKey>
{
    public void Configure(EntityTypeBuilder<ApiKey> b)
    {
        b.ToTable("api_keys");
        b.Property(k => k.KeyHash).HasMaxLength(64);
        b.HasIndex(k => k.KeyHash).IsUnique();
        b.HasIndex(k => k.UserId);
        b.HasOne<User>().WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
