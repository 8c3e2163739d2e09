using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Authz;
using Skyport.Server.Galaxy;
using Skyport.Server.Identity;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>
/// The one service that turns (user, authorization) into provider credentials. Credentials are cached per
/// authorization (and its last update), shared by every job using it, and renew themselves before they expire
/// by asking the login for a fresh id token, so long transfers never run on an expired key. Each issuance is
/// recorded with the <see cref="CredentialPurpose"/> of the work that needed it.
/// </summary>
public sealed class CredentialBroker(
    IEnumerable<ICloudCredentialSource> sources,
    IServiceScopeFactory scopes,
    IMemoryCache cache,
    IOptions<CloudOptions> options)
{
    private readonly Dictionary<string, ICloudCredentialSource> _sources = sources.ToDictionary(s => s.Provider);

    /// <param name="config">The authorization's validated settings (from <see cref="CloudAuthzService.ReadConfig"/>).</param>
    public CloudCredentials Get(CloudAuthz authz, AuthzConfig config, string purpose)
    {
        var source = _sources.TryGetValue(authz.Provider, out var s)
            ? s
            : throw new RequestParameterInvalidException($"Unknown cloud provider '{authz.Provider}'.");
        var key = (authz.Id, authz.LastUpdate);
        return cache.GetOrCreate(key, entry =>
        {
            entry.SlidingExpiration = TimeSpan.FromMinutes(options.Value.CredentialCacheMinutes);
            var context = new CredentialContext(authz.UserId, authz.Id, authz.IdentityId, purpose);
            return source.Create(config, context, ct => FreshIdTokenAsync(context, authz.Provider, ct));
        })!;
    }

    /// <summary>Obtains credentials now, to show that the authorization works; returns their expiry when known.</summary>
    public Task<DateTime?> ProbeAsync(CloudCredentials credentials, CancellationToken cancellationToken) =>
        _sources[credentials.Provider].ProbeAsync(credentials, cancellationToken);

    /// <summary>Credentials outlive the request that made them, so each id-token lookup uses a scope of its own.</summary>
    private async Task<string> FreshIdTokenAsync(CredentialContext context, string provider, CancellationToken cancellationToken)
    {
        if (context.IdentityId is not { } identityId)
        {
            throw new CloudCredentialException($"This {provider} authorization has no login identity ('authn_id') to exchange for credentials.");
        }
        await using var scope = scopes.CreateAsyncScope();
        return await scope.ServiceProvider.GetRequiredService<IdentityTokens>().GetFreshIdTokenAsync(identityId, context.UserId, cancellationToken);
    }
}
