using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.JsonWebTokens;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;
using Skyport.Server.Users;

namespace Skyport.Server.Identity;

/// <summary>
/// What a completed OIDC login means for Skyport's users: the identity's user signs in (its tokens are
/// replaced); an unknown identity is linked to the user who started the login, or else creates a user.
/// </summary>
public sealed class IdentityLinker(SkyportDbContext db, UsersService users, TokenProtector protector, TimeProvider clock)
{
    public async Task<User> SignInAsync(string provider, ClaimsPrincipal external, TokenSet tokens, long? linkToUserId, CancellationToken cancellationToken)
    {
        var subject = external.FindFirstValue("sub")
            ?? throw new AuthenticationFailedException($"The {provider} login returned no subject ('sub') claim.");
        var email = external.FindFirstValue("email")?.Trim().ToLowerInvariant();
        var (issuedAt, expiresAt) = Lifetime(tokens.IdToken);
        var now = clock.GetUtcNow().UtcDateTime;

        var identity = await db.Set<UserIdentity>().FirstOrDefaultAsync(i => i.Provider == provider && i.Subject == subject, cancellationToken);
        if (identity is not null && linkToUserId is { } linker && identity.UserId != linker)
        {
            throw new ConflictException($"This {provider} identity is already linked to another Skyport user.");
        }
        if (identity is null)
        {
            var userId = linkToUserId ?? await CreateUserAsync(provider, external, email, cancellationToken);
            identity = new UserIdentity { UserId = userId, Provider = provider, Subject = subject, ProtectedTokens = "", CreateTime = now };
            db.Add(identity);
        }
        // A refresh token is issued only on consent; keep the one we have when a later login brings none.
        var previous = identity.ProtectedTokens.Length > 0 ? protector.Unprotect(identity.ProtectedTokens) : null;
        identity.ProtectedTokens = protector.Protect(tokens with { RefreshToken = tokens.RefreshToken ?? previous?.RefreshToken });
        identity.Email = email ?? identity.Email;
        identity.IdTokenIssuedAt = issuedAt;
        identity.IdTokenExpiresAt = expiresAt;
        identity.UpdateTime = now;
        await db.SaveChangesAsync(cancellationToken);

        return await db.Users.AsNoTracking().SingleAsync(u => u.Id == identity.UserId, cancellationToken) is { Disabled: false } user
            ? user
            : throw new AuthenticationFailedException("This account is disabled.");
    }

    private async Task<long> CreateUserAsync(string provider, ClaimsPrincipal external, string? email, CancellationToken cancellationToken)
    {
        if (email is null)
        {
            throw new AuthenticationFailedException($"The {provider} login returned no email address; the provider must grant the 'email' scope.");
        }
        if (string.Equals(external.FindFirstValue("email_verified"), "false", StringComparison.OrdinalIgnoreCase))
        {
            throw new AuthenticationFailedException($"The {provider} login's email address {email} is not verified.");
        }
        if (await db.Users.AnyAsync(u => u.Email == email, cancellationToken))
        {
            throw new ConflictException(
                $"A Skyport account with the email {email} already exists. Sign in to it first, then log in with {provider} to link the two.");
        }
        var username = external.FindFirstValue("preferred_username") ?? external.FindFirstValue("name");
        var created = await users.CreateAsync(email, password: null, isAdmin: false, username, cancellationToken);
        return created.User.Id;
    }

    /// <summary>Issue and expiry times of an id token (already validated by the caller).</summary>
    internal static (DateTime IssuedAt, DateTime ExpiresAt) Lifetime(string idToken)
    {
        var jwt = new JsonWebToken(idToken);
        var expires = jwt.ValidTo;
        var issued = jwt.IssuedAt == DateTime.MinValue ? DateTime.UtcNow : jwt.IssuedAt;
        return (DateTime.SpecifyKind(issued, DateTimeKind.Utc), DateTime.SpecifyKind(expires, DateTimeKind.Utc));
    }
}
