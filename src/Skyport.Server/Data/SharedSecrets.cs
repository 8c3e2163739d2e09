using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;

namespace Skyport.Server.Data;

/// <summary>
/// Generated secrets every process of a site must share. With SQLite (one machine) they are files in the
/// data folder, as they always were; with PostgreSQL they are rows of the settings table, so servers and
/// workers on other machines read the same value. Creation is first-writer-wins in both.
/// </summary>
public sealed class SharedSecrets(IServiceScopeFactory scopes, DataDirectory data, IOptions<DatabaseOptions> database)
{
    /// <remarks>Synchronous: called once, while a singleton that needs the secret is built.</remarks>
    public byte[] GetOrCreate(string name, int bytes)
    {
        if (!database.Value.IsPostgres)
        {
            return data.GetOrCreateSecret(name, bytes);
        }
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
        var stored = db.Settings.AsNoTracking().Where(s => s.Name == name).Select(s => s.Value).SingleOrDefault();
        if (stored is null)
        {
            var value = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(bytes));
            // ON CONFLICT: processes starting together agree on whichever value was written first.
            db.Database.ExecuteSql($"INSERT INTO settings (\"Name\", \"Value\") VALUES ({name}, {value}) ON CONFLICT DO NOTHING");
            stored = db.Settings.AsNoTracking().Where(s => s.Name == name).Select(s => s.Value).Single();
        }
        return Convert.FromHexString(stored);
    }
}
