using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;
using Skyport.Server.Identity;
using Skyport.Server.Users;

namespace Skyport.Server.Cloud.Authz;

/// <summary>Galaxy's <c>/api/cloud/authz</c>: the caller's cloud authorizations, validated per provider, secrets encrypted.</summary>
public sealed class CloudAuthzService(
    SkyportDbContext db,
    CurrentUser current,
    IdEncoder ids,
    IDataProtectionProvider protection,
    TimeProvider clock)
{
    private readonly IDataProtector _secrets = protection.CreateProtector("Skyport.Cloud.AuthzSecrets.v1");

    public async Task<IReadOnlyList<AuthzView>> ListAsync(CancellationToken cancellationToken)
    {
        var userId = current.Id;
        var rows = await db.CloudAuthzs.AsNoTracking().Where(a => a.UserId == userId).OrderBy(a => a.Id).ToListAsync(cancellationToken);
        return rows.Select(View).ToList();
    }

    public async Task<AuthzView> ShowAsync(EncodedId id, CancellationToken cancellationToken) =>
        View(await FindOwnedAsync(ids.Decode(id, "authz id"), tracked: false, cancellationToken));

    public async Task<AuthzView> CreateAsync(CreateAuthzRequest request, CancellationToken cancellationToken)
    {
        var missing = new List<string>();
        if (string.IsNullOrWhiteSpace(request.Provider))
        {
            missing.Add("provider");
        }
        if (request.Config is null || request.Config.Value.ValueKind == JsonValueKind.Null)
        {
            missing.Add("config");
        }
        if (missing.Count > 0)
        {
            throw RequestParameterMissingException.For([.. missing]);
        }
        var provider = request.Provider!.Trim().ToLowerInvariant();
        var identityId = await ResolveIdentityAsync(request.AuthnId, cancellationToken);
        var config = AuthzProviders.Validate(provider, request.Config!.Value, identityId is not null);
        await EnsureNotDuplicateAsync(provider, config, identityId, exceptId: null, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        var authz = new CloudAuthz
        {
            UserId = current.Id,
            Provider = provider,
            Config = config.ValuesJson(),
            ProtectedSecrets = ProtectSecrets(config),
            IdentityId = identityId,
            Description = Description(request.Description),
            CreateTime = now,
            LastUpdate = now,
        };
        db.CloudAuthzs.Add(authz);
        await db.SaveChangesAsync(cancellationToken);
        return View(authz);
    }

    public async Task<AuthzView> UpdateAsync(EncodedId id, UpdateAuthzRequest request, CancellationToken cancellationToken)
    {
        var authz = await FindOwnedAsync(ids.Decode(id, "authz id"), tracked: true, cancellationToken);
        var identityId = request.AuthnId is null ? authz.IdentityId : await ResolveIdentityAsync(request.AuthnId, cancellationToken);
        var existing = ReadConfig(authz);
        var configJson = request.Config is { ValueKind: not JsonValueKind.Null } given
            ? given
            : JsonSerializer.SerializeToElement(existing.Values);
        var config = AuthzProviders.Validate(authz.Provider, configJson, identityId is not null, existing.Secrets);
        await EnsureNotDuplicateAsync(authz.Provider, config, identityId, authz.Id, cancellationToken);
        authz.Config = config.ValuesJson();
        authz.ProtectedSecrets = ProtectSecrets(config);
        authz.IdentityId = identityId;
        if (request.Description is not null)
        {
            authz.Description = Description(request.Description);
        }
        authz.LastUpdate = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        return View(authz);
    }

    public async Task<AuthzView> DeleteAsync(EncodedId id, CancellationToken cancellationToken)
    {
        var authz = await FindOwnedAsync(ids.Decode(id, "authz id"), tracked: true, cancellationToken);
        db.CloudAuthzs.Remove(authz);
        await db.SaveChangesAsync(cancellationToken);
        return View(authz);
    }

    /// <summary>The caller's authorization: 404 when missing, 403 when someone else's (Galaxy's answers).</summary>
    public async Task<CloudAuthz> FindOwnedAsync(long authzId, bool tracked, CancellationToken cancellationToken)
    {
        var query = tracked ? db.CloudAuthzs : db.CloudAuthzs.AsNoTracking();
        var authz = await query.FirstOrDefaultAsync(a => a.Id == authzId, cancellationToken)
            ?? throw new ObjectNotFoundException("Cloud authorization not found.");
        if (authz.UserId != current.Id)
        {
            throw new ItemAccessibilityException("Cloud authorization is not accessible by the current user.");
        }
        return authz;
    }

    // Compiled once: every transfer job runs it.
    private static readonly CompiledQuery<Func<SkyportDbContext, long, long, CancellationToken, Task<CloudAuthz?>>> OwnedAuthz = new(() =>
        EF.CompileAsyncQuery((SkyportDbContext db, long authzId, long userId, CancellationToken _) =>
            db.CloudAuthzs.AsNoTracking().FirstOrDefault(a => a.Id == authzId && a.UserId == userId)));

    /// <summary>An authorization of <paramref name="userId"/>, for background work where there is no request user.</summary>
    public async Task<CloudAuthz> FindForUserAsync(long authzId, long userId, CancellationToken cancellationToken) =>
        await OwnedAuthz.For(db)(db, authzId, userId, cancellationToken)
        ?? throw new ObjectNotFoundException("The cloud authorization of this transfer no longer exists.");

    /// <summary>The validated settings and decrypted secrets of an authorization, for the credential broker only.</summary>
    public AuthzConfig ReadConfig(CloudAuthz authz) =>
        new(AuthzConfig.Parse(authz.Config), AuthzConfig.Parse(authz.ProtectedSecrets is null ? null : _secrets.Unprotect(authz.ProtectedSecrets)));

    private string? ProtectSecrets(AuthzConfig config) => config.Secrets.Count == 0 ? null : _secrets.Protect(config.SecretsJson());

    private async Task<long?> ResolveIdentityAsync(string? authnId, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(authnId))
        {
            return null;
        }
        var identityId = ids.Decode(new EncodedId(authnId), "authn_id");
        var owner = await db.UserIdentities.Where(i => i.Id == identityId).Select(i => (long?)i.UserId).FirstOrDefaultAsync(cancellationToken)
            ?? throw new ObjectNotFoundException("The login identity 'authn_id' was not found; see GET /authnz for yours.");
        if (owner != current.Id)
        {
            throw new ItemAccessibilityException("The login identity 'authn_id' belongs to another user.");
        }
        return identityId;
    }

    private async Task EnsureNotDuplicateAsync(string provider, AuthzConfig config, long? identityId, long? exceptId, CancellationToken cancellationToken)
    {
        var userId = current.Id;
        var json = config.ValuesJson();
        if (await db.CloudAuthzs.AnyAsync(a => a.UserId == userId && a.Provider == provider && a.Config == json
                && a.IdentityId == identityId && a.Id != exceptId, cancellationToken))
        {
            throw new RequestParameterInvalidException("A similar cloud authorization configuration is already defined.");
        }
    }

    private static string? Description(string? description) =>
        description is { Length: > 1024 } ? throw new RequestParameterInvalidException("'description' must be at most 1024 characters.") : description;

    private AuthzView View(CloudAuthz authz)
    {
        var config = ReadConfig(authz);
        var secrets = AuthzProviders.SecretNames(authz.Provider).ToDictionary(name => name, name => config.Secrets.ContainsKey(name));
        return new AuthzView(ids.Encode(authz.Id), ids.Encode(authz.UserId), authz.Provider, config.ToJson(), secrets,
            authz.IdentityId is { } i ? ids.Encode(i) : null, authz.Description, authz.CreateTime, authz.LastUpdate, authz.LastActivity);
    }
}
