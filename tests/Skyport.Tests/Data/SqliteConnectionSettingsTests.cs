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

    /// <summary>
    /// The settings are applied once per SQLite handle: a pooled handle opened again keeps them, and a new handle (after
    /// the pool is emptied) gets them too.
    /// </summary>
    [Fact]
    public async Task Settings_HoldOnAReopenedPooledHandle_AndOnANewOne()
    {
        var options = new DbContextOptionsBuilder<SkyportDbContext>();
        DataExtensions.UseSqlite(options, DataExtensions.DefaultSqliteConnectionString(_folder));

        var first = await PragmasAsync(options.Options);
        var reopened = await PragmasAsync(options.Options);
        SqliteConnection.ClearAllPools();
        var fresh = await PragmasAsync(options.Options);

        Assert.Equal((1L, 1L, 60_000L), first.Values);
        Assert.Equal(first.Handle, reopened.Handle);
        Assert.Equal(first.Values, reopened.Values);
        Assert.NotEqual(first.Handle, fresh.Handle);
        Assert.Equal(first.Values, fresh.Values);
    }

    /// <returns>synchronous (1 = NORMAL), foreign_keys and busy_timeout, and the handle they were read on.</returns>
    private static async Task<(object Handle, (long, long, long) Values)> PragmasAsync(DbContextOptions<SkyportDbContext> options)
    {
        await using var db = new SkyportDbContext(options);
        await db.Database.OpenConnectionAsync();
        var connection = (SqliteConnection)db.Database.GetDbConnection();
        async Task<long> Read(string pragma)
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"PRAGMA {pragma}";
            return Convert.ToInt64(await command.ExecuteScalarAsync());
        }
        var values = (await Read("synchronous"), await Read("foreign_keys"), await Read("busy_timeout"));
        var handle = connection.Handle!;
        await db.Database.CloseConnectionAsync();
        return (handle, values);
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }
}
