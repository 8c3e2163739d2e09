using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Datasets;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Cli;

/// <summary>The administrator's commands, run as separate processes against the data folder of a running server.</summary>
public sealed class AdminCommandTests
{
    [Fact]
    public async Task Users_Disable_Enable_NewKey_MakeAdmin_TakeEffectOnTheRunningServer()
    {
        var dataDir = TempFolder.Create("skyport-admin");
        var created = await Cli("users", "create", "--email", "Grace@example.org", "--data-dir", dataDir);
        var firstKey = LastLine(created);
        await using var server = await SkyportServer.StartAsync(dataDir: dataDir);
        Assert.Equal(HttpStatusCode.OK, (await server.Client(firstKey).GetAsync("/api/users/current")).StatusCode);

        Assert.Contains("disabled", await Cli("users", "disable", "--email", "grace@example.org", "--data-dir", dataDir));
        await GalaxyAssert.ErrorAsync(await server.Client(firstKey).GetAsync("/api/users/current"), HttpStatusCode.Unauthorized, 401001);
        Assert.Matches(@"grace@example\.org\s+grace\s+no\s+yes", await Cli("users", "list", "--data-dir", dataDir));

        await Cli("users", "enable", "--email", "grace@example.org", "--data-dir", dataDir);
        Assert.Equal(HttpStatusCode.OK, (await server.Client(firstKey).GetAsync("/api/users/current")).StatusCode);

        var newKey = LastLine(await Cli("users", "new-key", "--email", "grace@example.org", "--data-dir", dataDir));
        Assert.Matches("^[0-9a-f]{32}$", newKey);
        Assert.NotEqual(firstKey, newKey);
        await GalaxyAssert.ErrorAsync(await server.Client(firstKey).GetAsync("/api/users/current"), HttpStatusCode.Unauthorized, 401001);

        await Cli("users", "make-admin", "--email", "grace@example.org", "--data-dir", dataDir);
        var user = await GalaxyAssert.OkJsonAsync(await server.Client(newKey).GetAsync("/api/users/current"));
        Assert.True(user.GetProperty("is_admin").GetBoolean());

        var (exit, _, stderr) = await HostProcess.RunAsync("users", "disable", "--email", "nobody@example.org", "--data-dir", dataDir);
        Assert.Equal(1, exit);
        Assert.Contains("nobody@example.org", stderr);
    }

    [Fact]
    public async Task Jobs_ListShowsEveryonesJobs_AndCancelStopsOne()
    {
        var dataDir = TempFolder.Create("skyport-admin");
        // No workers: the job stays queued until it is cancelled.
        await using var server = await SkyportServer.StartAsync(new Dictionary<string, string?> { ["Skyport:Jobs:Workers"] = "0" }, dataDir);
        using var user = await server.NewUserAsync("queued@example.org");
        var history = await user.CreateHistoryAsync();
        var datasetId = await user.PasteAsync(history, "waiting\n");
        var jobId = (await GalaxyAssert.OkJsonAsync(await user.GetAsync($"/api/jobs?history_id={history}")))[0].GetProperty("id").GetString()!;

        var list = await Cli("jobs", "list", "--state", "queued", "--data-dir", dataDir);
        Assert.Matches($@"{jobId}\s+queued\s+__DATA_FETCH__\s+queued@example\.org", list);
        Assert.DoesNotContain(jobId, await Cli("jobs", "list", "--state", "ok", "--data-dir", dataDir));

        Assert.Contains("cancelled", await Cli("jobs", "cancel", jobId, "--data-dir", dataDir));
        var job = await GalaxyAssert.OkJsonAsync(await user.GetAsync($"/api/jobs/{jobId}"));
        Assert.Equal("deleted", job.GetProperty("state").GetString());
        var dataset = await GalaxyAssert.OkJsonAsync(await user.GetAsync($"/api/datasets/{datasetId}"));
        Assert.Equal("discarded", dataset.GetProperty("state").GetString());
        Assert.Contains("already finished", await Cli("jobs", "cancel", jobId, "--data-dir", dataDir));
    }

    [Fact]
    public async Task Purge_RemovesFilesOfDeletedDatasetsPastTheRetention_AndKeepsTheRest()
    {
        var dataDir = TempFolder.Create("skyport-admin");
        await using var server = await SkyportServer.StartAsync(dataDir: dataDir);
        using var admin = server.Admin();
        var history = await admin.CreateHistoryAsync();
        var kept = await admin.WaitForDatasetAsync(await admin.PasteAsync(history, "keep me\n"));
        var deleted = await admin.WaitForDatasetAsync(await admin.PasteAsync(history, "delete me\n"));
        var storage = Assert.IsType<Skyport.Server.Datasets.Storage.LocalDatasetStore>(server.Services.GetRequiredService<Skyport.Server.Datasets.Storage.IDatasetStore>());
        var keptFile = storage.PathFor(Guid.Parse(kept.GetProperty("uuid").GetString()!));
        var deletedFile = storage.PathFor(Guid.Parse(deleted.GetProperty("uuid").GetString()!));
        Assert.True(File.Exists(deletedFile));
        await GalaxyAssert.OkJsonAsync(await admin.DeleteAsync($"/api/datasets/{deleted.GetProperty("id").GetString()}"));

        Assert.Contains("Purged 0 datasets", await Cli("purge", "--older-than", "30", "--data-dir", dataDir));
        Assert.Contains("Would purge 1 datasets", await Cli("purge", "--older-than", "0", "--dry-run", "--data-dir", dataDir));
        Assert.True(File.Exists(deletedFile));

        Assert.Contains("Purged 1 datasets", await Cli("purge", "--older-than", "0", "--data-dir", dataDir));

        Assert.False(File.Exists(deletedFile));
        Assert.True(File.Exists(keptFile));
        var after = await GalaxyAssert.OkJsonAsync(await admin.GetAsync($"/api/datasets/{deleted.GetProperty("id").GetString()}"));
        Assert.True(after.GetProperty("purged").GetBoolean());
        Assert.False((await GalaxyAssert.OkJsonAsync(await admin.GetAsync($"/api/datasets/{kept.GetProperty("id").GetString()}"))).GetProperty("purged").GetBoolean());
    }

    [Fact]
    public async Task ConfigCheck_PrintsEffectiveSettingsWithoutSecrets_AndNamesEveryBadKey()
    {
        var dataDir = TempFolder.Create("skyport-config");
        const string clientSecret = "oidc-client-secret-do-not-print";
        var idSecret = new string('a', 64);

        var (exit, stdout, stderr) = await HostProcess.RunAsync("config", "check", "--data-dir", dataDir,
            "--Skyport:Jobs:Workers=7", $"--Skyport:IdSecret={idSecret}",
            "--Skyport:Oidc:Providers:lab:Authority=https://id.example.org", "--Skyport:Oidc:Providers:lab:ClientId=skyport",
            $"--Skyport:Oidc:Providers:lab:ClientSecret={clientSecret}");

        Assert.True(exit == 0, stderr);
        Assert.Contains("Skyport:Jobs:Workers = 7", stdout);
        Assert.Contains("Skyport:RateLimits:UserBurst = 500", stdout);
        Assert.Contains("Skyport:Oidc:Providers:lab:ClientSecret = (set)", stdout);
        Assert.Contains("Skyport:IdSecret = (set)", stdout);
        Assert.Contains("storage: Healthy", stdout);
        Assert.DoesNotContain(clientSecret, stdout + stderr);
        Assert.DoesNotContain(idSecret, stdout + stderr);

        var bad = await HostProcess.RunAsync("config", "check", "--data-dir", dataDir, "--Skyport:Jobs:Workers=99", "--Skyport:Limits:MaxJsonBodyMiB=0");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("Skyport:Jobs:Workers", bad.Stderr);
        Assert.Contains("Skyport:Limits:MaxJsonBodyMiB", bad.Stderr);
    }

    private static async Task<string> Cli(params string[] args)
    {
        var (exit, stdout, stderr) = await HostProcess.RunAsync(args);
        Assert.True(exit == 0, $"{string.Join(' ', args)} exited {exit}: {stderr}");
        return stdout;
    }

    private static string LastLine(string output) => output.TrimEnd().Split('\n').Last().Trim();
}
