using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Identity;

/// <summary>
/// Hands out a user's id token for credential exchange, refreshing it with the stored refresh token
/// once less than half of its lifetime remains (Galaxy's rule). A refresh that fails means the user
/// must log in again; the error says with which provider.
/// </summary>
public sealed class IdentityTokens(
    SkyportDbContext db,
    TokenProtector protector,
    IOptionsMonitor<OpenIdConnectOptions> oidc,
    TimeProvider clock,
    ILogger<IdentityTokens> logger)
{
    private static readonly ConcurrentDictionary<long, SemaphoreSlim> Refreshing = new();

    /// <summary>The identity's id token, fresh for at least half its lifetime. The identity must belong to <paramref name="userId"/>.</summary>
    public async Task<string> GetFreshIdTokenAsync(long identityId, long userId, CancellationToken cancellationToken)
    {
        var identity = await LoadAsync(identityId, userId, cancellationToken);
        if (!NeedsRefresh(identity))
        {
            return protector.Unprotect(identity.ProtectedTokens).IdToken;
        }
        // One refresh per identity at a time in this process: providers that rotate refresh tokens
        // would otherwise see the old one reused and revoke the login.
        var gate = Refreshing.GetOrAdd(identityId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            db.ChangeTracker.Clear();
            identity = await LoadAsync(identityId, userId, cancellationToken);
            return NeedsRefresh(identity) ? await RefreshAsync(identity, cancellationToken) : protector.Unprotect(identity.ProtectedTokens).IdToken;
        }
        finally
        {
            gate.Release();
        }
    }

    private bool NeedsRefresh(UserIdentity identity)
    {
        var lifetime = identity.IdTokenExpiresAt - identity.IdTokenIssuedAt;
        return clock.GetUtcNow().UtcDateTime >= identity.IdTokenIssuedAt + lifetime / 2;
    }

    private async Task<UserIdentity> LoadAsync(long identityId, long userId, CancellationToken cancellationToken) =>
        await db.Set<UserIdentity>().FirstOrDefaultAsync(i => i.Id == identityId && i.UserId == userId, cancellationToken)
        ?? throw new ObjectNotFoundException("The login identity of this authorization no longer exists; log in again and update the authorization.");

    private async Task<string> RefreshAsync(UserIdentity identity, CancellationToken cancellationToken)
    {
        var tokens = protector.Unprotect(identity.ProtectedTokens);
        var loginAgain = $"Your {identity.Provider} login has expired; log in again at /authnz/{identity.Provider}/login.";
        if (tokens.RefreshToken is null)
        {
            throw new AuthenticationFailedException($"{loginAgain} (The provider issued no refresh token.)");
        }
        var options = oidc.Get(IdentityExtensions.SchemeFor(identity.Provider));
        if (options.ConfigurationManager is null || options.ClientId is null)
        {
            throw new AuthenticationFailedException($"The OIDC provider '{identity.Provider}' is no longer configured on this server.");
        }
        var configuration = await options.ConfigurationManager.GetConfigurationAsync(cancellationToken);
        var form = new Dictionary<string, string>
        {
            ["grant_type"] = "refresh_token",
            ["refresh_token"] = tokens.RefreshToken,
            ["client_id"] = options.ClientId,
        };
        if (!string.IsNullOrEmpty(options.ClientSecret))
        {
            form["client_secret"] = options.ClientSecret;
        }
        using var response = await options.Backchannel.PostAsync(configuration.TokenEndpoint, new FormUrlEncodedContent(form), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            logger.LogWarning("Refreshing the {Provider} login of identity {IdentityId} failed with HTTP {Status}", identity.Provider, identity.Id, (int)response.StatusCode);
            throw new AuthenticationFailedException(loginAgain);
        }
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
        var idToken = body.RootElement.TryGetProperty("id_token", out var id) ? id.GetString() : null;
        if (idToken is null)
        {
            throw new AuthenticationFailedException($"{loginAgain} (The provider's refresh returned no id token.)");
        }
        var validation = await new JsonWebTokenHandler().ValidateTokenAsync(idToken, new TokenValidationParameters
        {
            ValidIssuer = configuration.Issuer,
            ValidAudience = options.ClientId,
            IssuerSigningKeys = configuration.SigningKeys,
            ClockSkew = TimeSpan.FromMinutes(2),
        });
        if (!validation.IsValid)
        {
            logger.LogWarning("The refreshed {Provider} id token of identity {IdentityId} failed validation: {Reason}", identity.Provider, identity.Id, validation.Exception?.GetType().Name);
            throw new AuthenticationFailedException(loginAgain);
        }
        var refreshed = new TokenSet(
            idToken,
            body.RootElement.TryGetProperty("access_token", out var access) ? access.GetString() : tokens.AccessToken,
            body.RootElement.TryGetProperty("refresh_token", out var refresh) ? refresh.GetString() : tokens.RefreshToken);
        var (issuedAt, expiresAt) = IdentityLinker.Lifetime(idToken);
        identity.ProtectedTokens = protector.Protect(refreshed);
        identity.IdTokenIssuedAt = issuedAt;
        identity.IdTokenExpiresAt = expiresAt;
        identity.UpdateTime = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        logger.LogInformation("Refreshed the {Provider} login of identity {IdentityId}", identity.Provider, identity.Id);
        return idToken;
    }
}
