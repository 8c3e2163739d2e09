using System.CommandLine;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Skyport.Server.Operations.Health;
using Skyport.Server.Operations.Settings;

namespace Skyport.Server.Cli;

/// <summary><c>./skyport config check | reference</c>.</summary>
internal static class ConfigCommands
{
    public static Command Create(Option<string?> dataDir)
    {
        var check = new Command("check", "Validate the configuration (files, environment, --Section:Key=value arguments) and print the effective settings, secrets hidden.") { dataDir };
        check.TreatUnmatchedTokensAsErrors = false;
        check.SetAction((result, ct) => SkyportCommandLine.RunReportingConfigErrorsAsync(() =>
            CheckAsync([.. SkyportCommandLine.HostArgs(result, dataDir, null), .. result.UnmatchedTokens], ct)));

        var reference = new Command("reference", "Print every setting with its environment variable and default, as a Markdown table.");
        reference.SetAction(_ =>
        {
            Console.WriteLine("| setting | environment variable | default |");
            Console.WriteLine("|---|---|---|");
            foreach (var setting in SettingsCatalog.Defaults())
            {
                Console.WriteLine(ReferenceRow(setting));
            }
        });
        return new Command("config", "Check and document the configuration.") { check, reference };
    }

    /// <summary>The start of a reference row; the README adds a meaning column after it.</summary>
    public static string ReferenceRow(Setting setting) =>
        $"| `{setting.Key}` | `{setting.EnvironmentVariable}` | {(setting.Value.Length == 0 ? "(none)" : setting.Value.StartsWith('(') ? setting.Value : $"`{setting.Value}`")} |";

    private static async Task CheckAsync(string[] args, CancellationToken cancellationToken)
    {
        var app = SkyportApplication.Build([.. args, "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks=None"]);
        var errors = new List<string>();
        var settings = new List<Setting>();
        foreach (var (section, type) in SettingsCatalog.OptionsTypes())
        {
            try
            {
                var options = ((IOptions<object>)Activator.CreateInstance(typeof(OptionsAdapter<>).MakeGenericType(type),
                    app.Services.GetRequiredService(typeof(IOptions<>).MakeGenericType(type)))!).Value;
                settings.AddRange(SettingsCatalog.Describe(section, options));
            }
            catch (OptionsValidationException e)
            {
                errors.AddRange(e.Failures);
            }
            catch (InvalidOperationException e)
            {
                errors.Add(e.Message);
            }
        }
        if (errors.Count > 0)
        {
            throw new OptionsValidationException("Skyport", typeof(object), errors);
        }
        Console.WriteLine("Configuration is valid. Effective settings:");
        Console.WriteLine($"  urls = {app.Configuration["urls"] ?? "http://127.0.0.1:8080"}");
        foreach (var setting in settings)
        {
            Console.WriteLine($"  {setting.Key} = {setting.Value}");
        }

        var report = await app.Services.GetRequiredService<HealthCheckService>()
            .CheckHealthAsync(c => c.Tags.Contains(HealthEndpoints.ReadyTag), cancellationToken);
        Console.WriteLine("Readiness:");
        foreach (var (name, entry) in report.Entries)
        {
            Console.WriteLine($"  {name}: {entry.Status}{(entry.Status == HealthStatus.Healthy || entry.Description is null ? "" : $" ({entry.Description})")}");
        }
    }

    /// <summary>Reads <c>IOptions&lt;T&gt;.Value</c> for a <c>T</c> known only at run time.</summary>
    private sealed class OptionsAdapter<T>(IOptions<T> options) : IOptions<object> where T : class
    {
        public object Value => options.Value;
    }
}
