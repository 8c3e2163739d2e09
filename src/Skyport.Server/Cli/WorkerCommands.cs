using System.CommandLine;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cli;

/// <summary>
/// Scale-out commands: <c>skyport worker</c> (job workers, no API), <c>skyport migrate</c> (apply database
/// migrations and exit) and <c>skyport serve --no-workers</c> (the API only).
/// </summary>
internal static class WorkerCommands
{
    public static Option<bool> NoWorkers { get; } = new("--no-workers") { Description = "Serve the API only; jobs are run by `skyport worker` processes on the same database." };

    public static IEnumerable<string> ServeArgs(ParseResult result) => result.GetValue(NoWorkers) ? ["--Skyport:Jobs:Workers=0"] : [];

    public static Command Worker(Option<string?> dataDir)
    {
        var urls = new Option<string>("--urls")
        {
            Description = "Where GET /health answers. Default: an ephemeral loopback port.",
            DefaultValueFactory = _ => "http://127.0.0.1:0",
        };
        var worker = new Command("worker", "Run job workers only (no API): any number of them share the database's queue.") { urls, dataDir };
        worker.TreatUnmatchedTokensAsErrors = false;
        worker.SetAction((result, ct) => SkyportCommandLine.RunReportingConfigErrorsAsync(async () =>
        {
            var app = SkyportApplication.BuildWorker([.. SkyportCommandLine.HostArgs(result, dataDir, null), $"--urls={result.GetValue(urls)}", .. result.UnmatchedTokens]);
            var workers = app.Services.GetRequiredService<IOptions<JobsOptions>>().Value.Workers;
            if (workers == 0)
            {
                throw new OptionsValidationException(JobsOptions.Section, typeof(JobsOptions), [$"{JobsOptions.Section}:Workers must be at least 1 for `skyport worker`."]);
            }
            await app.Services.MigrateAtStartAsync(ct);
            await app.RunAsync(ct);
        }));
        return worker;
    }

    public static Command Migrate(Option<string?> dataDir)
    {
        var migrate = new Command("migrate", "Apply pending database migrations and exit (then start processes with Skyport:Database:MigrateAtStart=false if you like).") { dataDir };
        migrate.TreatUnmatchedTokensAsErrors = false;
        migrate.SetAction((result, ct) => SkyportCommandLine.RunReportingConfigErrorsAsync(async () =>
        {
            var app = SkyportApplication.Build([.. SkyportCommandLine.HostArgs(result, dataDir, null), .. result.UnmatchedTokens,
                "--Skyport:Jobs:Workers=0", "--Logging:LogLevel:Default=Warning"]);
            var database = app.Services.GetRequiredService<IOptions<DatabaseOptions>>().Value;
            await app.Services.MigrateDatabaseAsync(ct);
            // Makes the first Data Protection key now, so that processes started together afterwards share it
            // instead of each making one of their own.
            app.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("Skyport.Migrate").Protect([0]);
            Console.WriteLine($"The {database.Provider} database is up to date.");
        }));
        return migrate;
    }
}
