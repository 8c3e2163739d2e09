using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;

namespace Skyport.Server.Users;

/// <summary>Issues and checks API keys. Only a key's SHA-256 is stored; the key itself is shown once.</summary>
public sealed class ApiKeyService(SkyportDbContext db, TimeProvider clock)
{
    /// <summary>Issues a new key. With <paramref name="revokeOthers"/> the user's earlier keys stop working (Galaxy's "new key").</summary>
    public async Task<string> IssueAsync(long userId, bool revokeOthers, CancellationToken cancellationToken)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        if (revokeOthers)
        {
            await db.ApiKeys.Where(k => k.UserId == userId && !k.Deleted)
                .ExecuteUpdateAsync(s => s.SetProperty(k => k.Deleted, true), cancellationToken);
        }
        db.ApiKeys.Add(new ApiKey { UserId = userId, KeyHash = Hash(key), CreateTime = clock.GetUtcNow().UtcDateTime });
        await db.SaveChangesAsync(cancellationToken);
        return key;
    }

    // Every request with a key runs it: compiled, since building the query cost more than running it.
    private static readonly CompiledQuery<Func<SkyportDbContext, string, CancellationToken, Task<User?>>> UserByKeyHash = new(() =>
        EF.CompileAsyncQuery((SkyportDbContext db, string hash, CancellationToken _) => db.ApiKeys.AsNoTracking()
            .Where(k => k.KeyHash == hash && !k.Deleted)
            .Join(db.Users, k => k.UserId, u => u.Id, (k, u) => u)
            .Where(u => !u.Disabled)
            .FirstOrDefault()));

    /// <summary>The enabled user a key belongs to, or null.</summary>
    public Task<User?> FindUserAsync(string key, CancellationToken cancellationToken) => UserByKeyHash.For(db)(db, Hash(key), cancellationToken);

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
}
