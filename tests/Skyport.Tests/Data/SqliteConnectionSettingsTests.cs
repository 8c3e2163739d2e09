using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;

namespace Skyport.Tests.Data;

/// <summary>
/// Every SQLite connection lets SQLite's own busy handler wait for a writer (bounded by the connection's Default
/// Timeout), instead of failing at once into Microsoft.Data.Sqlite's retry, which blocks its thread for 150 ms.
/// </summary>
public sealed class SqliteConnectionSettingsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("skyport-pragmas-").FullName;

    [Theory]
    [InlineData(null, 60_000)] // the default connection string's Default Timeout of 60 s
    [InlineData(5, 5_000)]
    public async Task Connection_WaitsForWritersInSqlite_AsLongAsItsDefaultTimeout(int? timeoutSeconds, long expectedMilliseconds)
    {
        var connectionString = new SqliteConnectionStringBuilder(DataExtensions.DefaultSqliteConnectionString(_folder));
        if (timeoutSeconds is { } seconds)
        {
            connectionString.DefaultTimeout = seconds;
        }
        var options = new DbContextOptionsBuilder<SkyportDbContext>();
        DataExtensions.UseSqlite(options, connectionString.ToString());
        await using var db = new SkyportDbContext(options.Options);

        await db.Database.OpenConnectionAsync();
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = "PRAGMA busy_timeout";

        Assert.Equal(expectedMilliseconds, Convert.ToInt64(await command.ExecuteScalarAsync()));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
