using Microsoft.EntityFrameworkCore;
using Skyport.Server.Cloud.Authz;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;
using Skyport.Server.Users;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>What users see of the broker: testing an authorization and the record of issuances.</summary>
public sealed class CredentialsService(
    SkyportDbContext db,
    CurrentUser current,
    IdEncoder ids,
    CloudAuthzService authorizations,
    CredentialBroker broker)
{
    /// <summary><c>POST /api/cloud/authz/{id}/test</c>: obtains credentials now and says whether that worked, with the provider's reason.</summary>
    public async Task<AuthzTestResult> TestAsync(EncodedId id, CancellationToken cancellationToken)
    {
        var authz = await authorizations.FindOwnedAsync(ids.Decode(id, "authz id"), tracked: false, cancellationToken);
        using var purpose = CredentialPurpose.Use("authorization test");
        var credentials = broker.Get(authz, authorizations.ReadConfig(authz), "authorization test");
        try
        {
            var expires = await broker.ProbeAsync(credentials, cancellationToken);
            return new AuthzTestResult(ids.Encode(authz.Id), authz.Provider, true, expires, null);
        }
        catch (GalaxyException e) when (e is CloudCredentialException or AuthenticationFailedException or ObjectNotFoundException)
        {
            return new AuthzTestResult(ids.Encode(authz.Id), authz.Provider, false, null, e.Message);
        }
    }

    public async Task<IReadOnlyList<IssuanceView>> ListIssuancesAsync(EncodedId? authzId, int? limit, CancellationToken cancellationToken)
    {
        var userId = current.Id;
        var query = db.CredentialIssuances.AsNoTracking().Where(i => i.UserId == userId);
        if (authzId is { } encoded)
        {
            var decoded = ids.Decode(encoded, "authz id");
            query = query.Where(i => i.AuthzId == decoded);
        }
        var rows = await query.OrderByDescending(i => i.Id).Take(limit ?? 100).ToListAsync(cancellationToken);
        return rows.Select(i => new IssuanceView(ids.Encode(i.Id), ids.Encode(i.AuthzId), i.Provider, i.Purpose, i.IssuedAt, i.ExpiresAt, i.Succeeded, i.Error)).ToList();
    }
}
