using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;

namespace Skyport.Server.Data;

public static class DataExtensions
{
    private const string SqliteMigrationsAssembly = "Skyport.Migrations.Sqlite";
    private const string PostgresMigrationsAssembly = "Skyport.Migrations.Postgres";

    public static WebApplicationBuilder AddSkyportData(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<DatabaseOptions>(DatabaseOptions.Section);
        // Pooled: a context's internal services are built once and reused, instead of for every scope (every request
        // and every job step), which was a measurable share of a small transfer's CPU. The options depend on settings
        // only; the context holds no per-request state.
        builder.Services.AddDbContextPool<SkyportDbContext>((services, options) =>
        {
            var database = services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            if (database.IsPostgres)
            {
                UsePostgres(options, database.ConnectionString!);
                return;
            }
            var dataDirectory = services.GetRequiredService<DataDirectory>();
            UseSqlite(options, database.ConnectionString ?? DefaultSqliteConnectionString(dataDirectory.Root));
        });
        builder.Services.AddSingleton<SharedSecrets>();

        // The keys that encrypt stored tokens and secrets: in the data folder with SQLite (one machine), in the
        // database with PostgreSQL, so that a token encrypted by one server is readable by every other process.
        builder.Services.AddOptions<KeyManagementOptions>().Configure<IServiceProvider, DataDirectory, IOptions<DatabaseOptions>, ILoggerFactory>(
            (options, services, data, database, logs) => options.XmlRepository = database.Value.IsPostgres
                ? new EntityFrameworkCoreXmlRepository<SkyportDbContext>(services, logs)
                : new FileSystemXmlRepository(new DirectoryInfo(Path.Combine(data.Root, "keys")), logs));
        return builder;
    }

    public static void UseSqlite(DbContextOptionsBuilder options, string connectionString) =>
        options.UseSqlite(connectionString, sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly))
            .AddInterceptors(new SqliteConnectionSettings());

    public static void UsePostgres(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(PostgresMigrationsAssembly));

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

    /// <summary>Migrates at start unless the administrator migrates separately (<c>Skyport:Database:MigrateAtStart=false</c>).</summary>
    public static Task MigrateAtStartAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<IOptions<DatabaseOptions>>().Value.MigrateAtStart
            ? services.MigrateDatabaseAsync(cancellationToken)
            : Task.CompletedTask;
}
