using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;

namespace Skyport.Server.Data;

public static class DataExtensions
{
    private const string SqliteMigrationsAssembly = "Skyport.Migrations.Sqlite";

    public static WebApplicationBuilder AddSkyportData(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.Section);
        builder.Services.AddDbContext<SkyportDbContext>((services, options) =>
        {
            var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            var dataDirectory = services.GetRequiredService<DataDirectory>();
            UseSqlite(options, database.ConnectionString ?? DefaultSqliteConnectionString(dataDirectory.Root));
        });
        return builder;
    }

    public static void UseSqlite(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString, sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly))
            .AddInterceptors(new SqliteConnectionSettings());

    public static string DefaultSqliteConnectionString(string dataDirectory) =>
        new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDirectory, "skyport.db"),
            Pooling = true,
            DefaultTimeout = 60,
        }.ToString();

    /// <summary>Applies pending migrations; on SQLite also turns on write-ahead logging so readers never wait on writers.</summary>
    public static async Task MigrateDatabaseAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }
    }
}
