using System.CommandLine;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Cli;

/// <summary>
/// <c>./skyport serve</c>, the admin commands of <see cref="UsersCommands"/>, <see cref="JobsCommands"/>, <see cref="PurgeCommand"/> and
/// <see cref="ConfigCommands"/>, and <c>worker | migrate</c> in <see cref="WorkerCommands"/>.
/// </summary>
public static class SkyportCommandLine
{
    public static Task<int> InvokeAsync(string[] args) => Build().Parse(args).InvokeAsync();

    private static RootCommand Build()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Data folder (database, dataset files, secrets). Default: ./data" };
        var urls = new Option<string?>("--urls") { Description = "Listen address(es). Default: http://127.0.0.1:8080" };

        // Further --Section:Key=value arguments are passed on as configuration (see the README's settings table).
        var serve = new Command("serve", "Start the server (API and job workers).") { urls, dataDir, WorkerCommands.NoWorkers };
        serve.TreatUnmatchedTokensAsErrors = false;
        serve.SetAction((result, ct) => ServeAsync([.. HostArgs(result, dataDir, urls), .. result.UnmatchedTokens, .. WorkerCommands.ServeArgs(result)], ct));

        return new RootCommand("Skyport: a Galaxy-compatible data server that moves datasets to and from cloud storage.")
        {
            serve,
            UsersCommands.Create(dataDir),
            JobsCommands.Create(dataDir),
            PurgeCommand.Create(dataDir),
            ConfigCommands.Create(dataDir),
            WorkerCommands.Worker(dataDir),
            WorkerCommands.Migrate(dataDir),
        };
    }

    internal static string[] HostArgs(ParseResult result, Option<string?> dataDir, Option<string?>? urls)
    {
        var args = new List<string>();
        if (result.GetValue(dataDir) is { } dir)
        {
            args.Add($"--Skyport:DataDir={dir}");
        }
        if (urls is not null && result.GetValue(urls) is { } u)
        {
            args.Add($"--urls={u}");
        }
        return [.. args];
    }

    private static async Task<int> ServeAsync(string[] args, CancellationToken cancellationToken)
    {
        return await RunReportingConfigErrorsAsync(async () =>
        {
            var app = SkyportApplication.Build(args);
            var admin = await app.PrepareAsync(cancellationToken);
            if (admin is not null)
            {
                // Shown once, on the console only: never through logging, and only its hash is stored.
                Console.WriteLine($"First start: created administrator {admin.User.Email}. Its API key (shown only now):");
                Console.WriteLine(admin.ApiKey);
            }
            await app.RunAsync(cancellationToken);
        });
    }

    internal static Task<int> WithServicesAsync(string[] args, Func<IServiceProvider, Task> action, CancellationToken cancellationToken) =>
        RunReportingConfigErrorsAsync(async () =>
        {
            var app = SkyportApplication.Build([.. args, "--Skyport:Jobs:Workers=0", "--Logging:LogLevel:Default=Warning"]);
            await app.Services.MigrateAtStartAsync(cancellationToken);
            await using var scope = app.Services.CreateAsyncScope();
            await action(scope.ServiceProvider);
        });

    internal static async Task<int> RunReportingConfigErrorsAsync(Func<Task> action)
    {
        try
        {
            await action();
            return 0;
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"Configuration error: {string.Join(" ", e.Failures)}");
            return 2;
        }
        catch (InvalidOperationException e) when (e.Message.Contains("configuration", StringComparison.OrdinalIgnoreCase))
        {
            await Console.Error.WriteLineAsync($"Configuration error: {e.Message}");
            return 2;
        }
        catch (GalaxyException e)
        {
            await Console.Error.WriteLineAsync($"Error: {e.Message}");
            return 1;
        }
    }
}
