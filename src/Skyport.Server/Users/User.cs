using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Skyport.Server.Users;

public sealed class User
{
    public long Id { get; set; }
    /// <summary>Stored lower-cased, so that uniqueness ignores case.</summary>
    public required string Email { get; set; }
    public required string Username { get; set; }
    /// <summary>ASP.NET Core Identity's PBKDF2 hash; null for users who only sign in with OIDC.</summary>
    public string? PasswordHash { get; set; }
    public bool IsAdmin { get; set; }
    public bool Disabled { get; set; }
    public DateTime CreateTime { get; set; }
    public DateTime UpdateTime { get; set; }
}

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> b)
    {
        b.ToTable("users");
        b.Property(u => u.Email).HasMaxLength(255);
        b.Property(u => u.Username).HasMaxLength(255);
        b.Property(u => u.PasswordHash).HasMaxLength(512);
        b.HasIndex(u => u.Email).IsUnique();
        b.HasIndex(u => u.Username).IsUnique();
    }
}
