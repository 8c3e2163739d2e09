using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;
using Skyport.Server.Users;

namespace Skyport.Server.Identity;

public sealed record IdentityView(string Id, string Provider, string? Email);

public sealed record ProviderView(string Name, string DisplayName, string LoginUrl);

/// <summary>Galaxy's <c>/authnz</c> routes: start a login, list and unlink the caller's identities.</summary>
public sealed class AuthnzService(
    SkyportDbContext db,
    CurrentUser current,
    IdEncoder ids,
    IOptions<OidcOptions> oidc)
{
    /// <summary>Carried in the protected OIDC state: the user who started the login, to link the new identity to.</summary>
    public const string LinkUserItem = "skyport.link_user";

    public IReadOnlyList<ProviderView> Providers() =>
        oidc.Value.Effective().Select(p => new ProviderView(p.Key, p.Value.DisplayName ?? p.Key, $"/authnz/{p.Key}/login")).ToList();

    public IResult Login(string provider, string? next)
    {
        var name = KnownProvider(provider);
        var properties = new AuthenticationProperties { RedirectUri = SafeLocalPath(next) };
        if (current.TryGetId() is { } userId)
        {
            properties.Items[LinkUserItem] = userId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return new LoginChallenge(IdentityExtensions.SchemeFor(name), properties);
    }

    public async Task<IReadOnlyList<IdentityView>> ListAsync(CancellationToken cancellationToken)
    {
        var userId = current.Id;
        var rows = await db.Set<UserIdentity>().AsNoTracking().Where(i => i.UserId == userId).OrderBy(i => i.Id)
            .Select(i => new { i.Id, i.Provider, i.Email }).ToListAsync(cancellationToken);
        return rows.Select(i => new IdentityView(ids.Encode(i.Id), i.Provider, i.Email)).ToList();
    }

    /// <summary>Galaxy's <c>GET /authnz/{provider}/disconnect/{email}</c>. Refused while a cloud authorization uses the identity.</summary>
    public async Task<IReadOnlyList<IdentityView>> DisconnectAsync(string provider, string email, CancellationToken cancellationToken)
    {
        var name = KnownProvider(provider);
        var userId = current.Id;
        email = email.Trim().ToLowerInvariant();
        var identity = await db.Set<UserIdentity>().FirstOrDefaultAsync(i => i.UserId == userId && i.Provider == name && i.Email == email, cancellationToken)
            ?? throw new ObjectNotFoundException($"You have no {name} identity with the email {email}.");
        var users = await db.CloudAuthzs.Where(a => a.IdentityId == identity.Id).Select(a => a.Id).ToListAsync(cancellationToken);
        if (users.Count > 0)
        {
            throw new ActionInputException(
                $"Cloud authorizations {string.Join(", ", users.Select(ids.Encode))} use this identity; delete them (or point them at another identity) first.");
        }
        db.Remove(identity);
        await db.SaveChangesAsync(cancellationToken);
        return await ListAsync(cancellationToken);
    }

    private string KnownProvider(string provider)
    {
        var providers = oidc.Value.Effective();
        var name = provider.ToLowerInvariant();
        return providers.ContainsKey(name)
            ? name
            : throw new RequestParameterInvalidException(
                $"Unknown OIDC provider '{provider}'. Configured: {(providers.Count == 0 ? "none" : string.Join(", ", providers.Keys))}.");
    }

    /// <summary>Only local paths: a login must not become an open redirect.</summary>
    private static string SafeLocalPath(string? next) =>
        next is { Length: > 0 } && next.StartsWith('/') && !next.StartsWith("//") && !next.StartsWith("/\\") ? next : "/";
}
