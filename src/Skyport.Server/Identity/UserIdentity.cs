using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Skyport.Server.Users;

namespace Skyport.Server.Identity;

/// <summary>
/// A user's login with an OpenID Connect provider (Galaxy's custos_authnz_token). Its tokens are kept
/// only in <see cref="ProtectedTokens"/>, encrypted with ASP.NET Core Data Protection.
/// </summary>
public sealed class UserIdentity
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required string Provider { get; set; }
    /// <summary>The provider's stable subject identifier (<c>sub</c>).</summary>
    public required string Subject { get; set; }
    public string? Email { get; set; }
    public required string ProtectedTokens { get; set; }
    /// <summary>When the current id token was issued and expires: refresh once half its lifetime has passed.</summary>
    public DateTime IdTokenIssuedAt { get; set; }
    public DateTime IdTokenExpiresAt { get; set; }
    public DateTime CreateTime { get; set; }
    public DateTime UpdateTime { get; set; }
}

internal sealed class UserIdentityConfiguration : IEntityTypeConfiguration<UserIdentity>
{
    public void Configure(EntityTypeBuilder<UserIdentity> b)
    {
        b.ToTable("user_identities");
        b.Property(i => i.Provider).HasMaxLength(32);
        b.Property(i => i.Subject).HasMaxLength(255);
        b.Property(i => i.Email).HasMaxLength(255);
        b.HasIndex(i => new { i.Provider, i.Subject }).IsUnique();
        b.HasIndex(i => i.UserId);
        b.HasOne<User>().WithMany().HasForeignKey(i => i.UserId).OnDelete(DeleteBehavior.Cascade);
        b.Property(i => i.UpdateTime).IsConcurrencyToken();
    }
}
