using Skyport.Server.Cli;
using Skyport.Server.Operations.Settings;

namespace Skyport.Tests.Operations;

public sealed class ConfigurationReferenceTests
{
    [Fact]
    public void Readme_ListsEverySetting_WithItsEnvironmentVariableAndDefault()
    {
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        var settings = SettingsCatalog.Defaults().ToList();

        Assert.True(settings.Count > 40, $"Only {settings.Count} settings were found");
        var missing = settings.Select(ConfigCommands.ReferenceRow).Where(row => !readme.Contains(row, StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, "README.md lacks (or has another default for) these rows; `./skyport config reference` prints them:\n" + string.Join('\n', missing));
    }

    [Fact]
    public void Secrets_AreNeverShown_EvenAsDefaults()
    {
        var options = new Skyport.Server.Identity.OidcOptions();
        options.Providers["lab"] = new Skyport.Server.Identity.OidcProviderOptions { ClientId = "id", ClientSecret = "s3cret-value" };
        var database = new Skyport.Server.Data.DatabaseOptions { ConnectionString = "Host=db;Username=skyport;Password=pg-pass-value" };

        var shown = SettingsCatalog.Describe("Skyport:Oidc", options).Concat(SettingsCatalog.Describe("Skyport:Database", database)).ToList();

        Assert.Contains(shown, s => s.Key == "Skyport:Oidc:Providers:lab:ClientSecret" && s.Value == "(set)");
        var connection = Assert.Single(shown, s => s.Key == "Skyport:Database:ConnectionString");
        Assert.Contains("host=db", connection.Value, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("pg-pass-value", connection.Value);
        Assert.DoesNotContain(shown, s => s.Value.Contains("s3cret-value"));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Skyport.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException("The repository root (Skyport.slnx) was not found above the test binaries.");
    }
}
