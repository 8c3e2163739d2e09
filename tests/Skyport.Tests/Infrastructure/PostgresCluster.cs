using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Skyport.Server.Data;

namespace Skyport.Tests.Infrastructure;

/// <summary>Which database a test server runs on.</summary>
public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The throwaway PostgreSQL 15 cluster of a test run. <c>./test.sh</c> starts it (tests/infra/postgres.sh) and passes
/// its address in <c>SKYPORT_TEST_POSTGRES</c>; a run without it (e.g. <c>dotnet test</c> alone) starts one itself and
/// stops it when the test process exits. Every server gets its own database, copied from a migrated template.
/// </summary>
public static class PostgresCluster
{
    public const string EnvironmentVariable = "SKYPORT_TEST_POSTGRES";
    private const string Template = "skyport_template";
    private static readonly Lazy<Task<string>> Cluster = new(StartAsync);
    private static readonly SemaphoreSlim Creating = new(1, 1);
    private static bool _templateReady;

    /// <summary>A new database, migrated unless <paramref name="migrated"/> is false; returns its connection string.</summary>
    public static async Task<string> NewDatabaseAsync(bool migrated = true)
    {
        var server = await Cluster.Value;
        var name = $"skyport_{Guid.NewGuid():N}"[..24];
        // CREATE DATABASE ... TEMPLATE fails while anyone else is connected to the template: one at a time.
        await Creating.WaitAsync();
        try
        {
            if (!_templateReady)
            {
                await ExecuteAsync(server, $"DROP DATABASE IF EXISTS {Template}");
                await ExecuteAsync(server, $"CREATE DATABASE {Template}");
                var options = new DbContextOptionsBuilder<SkyportDbContext>();
                DataExtensions.UsePostgres(options, Connect(server, Template, pooling: false));
                await using (var db = new SkyportDbContext(options.Options))
                {
                    await db.Database.MigrateAsync();
                }
                _templateReady = true;
            }
            await ExecuteAsync(server, migrated ? $"CREATE DATABASE {name} TEMPLATE {Template}" : $"CREATE DATABASE {name}");
        }
        finally
        {
            Creating.Release();
        }
        return Connect(server, name, pooling: true);
    }

    private static string Connect(string server, string database, bool pooling) =>
        new NpgsqlConnectionStringBuilder(server) { Database = database, Pooling = pooling }.ToString();

    private static async Task ExecuteAsync(string server, string sql)
    {
        await using var connection = new NpgsqlConnection(Connect(server, "postgres", pooling: false));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> StartAsync()
    {
        if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } given)
        {
            return given;
        }
        var folder = Path.Combine(Path.GetTempPath(), $"skyport-pg-{Guid.NewGuid():N}");
        var script = Path.Combine(TestCloud.InfraDir, "postgres.sh");
        // This process as the cluster's owner: the script stops the cluster once the process is gone, also when the test
        // runner kills it without running the exit handler below.
        var (code, stdout, stderr) = await RunAsync(script, "start", folder, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (code != 0)
        {
            throw new InvalidOperationException($"Could not start the test PostgreSQL cluster ({script} exited {code}): {stderr}");
        }
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RunAsync(script, "stop", folder).GetAwaiter().GetResult();
        return stdout.Trim();
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout, await stderr);
    }
}
