using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Operations;

public sealed class HealthTests
{
    [Fact]
    public async Task Healthz_AndReadyz_AnswerAnonymously_WithStatusesOnly()
    {
        await using var server = await SkyportServer.StartAsync();
        using var client = server.Anonymous();

        using var live = await client.GetAsync("/healthz");
        using var ready = await client.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var checks = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
        Assert.Equal(["database", "migrations", "storage"], checks.EnumerateObject().Select(c => c.Name).Order());
        Assert.All(checks.EnumerateObject(), c => Assert.Equal("Healthy", c.Value.GetString()));
    }

    [Fact]
    public async Task Readyz_WhenTheDataFolderCannotBeWritten_Is503_WithoutPathsOrErrors()
    {
        await using var server = await SkyportServer.StartAsync();
        using var client = server.Anonymous();
        var temp = Path.Combine(server.DataDir, "tmp");
        Directory.Delete(temp, recursive: true);
        await File.WriteAllTextAsync(temp, "not a folder");
        try
        {
            using var ready = await client.GetAsync("/readyz");

            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            var body = await ready.Content.ReadAsStringAsync();
            var checks = JsonDocument.Parse(body).RootElement.GetProperty("checks");
            Assert.Equal("Unhealthy", checks.GetProperty("storage").GetString());
            Assert.Equal("Healthy", checks.GetProperty("database").GetString());
            Assert.DoesNotContain(server.DataDir, body);
            Assert.DoesNotContain("Exception", body);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            File.Delete(temp);
            Directory.CreateDirectory(temp);
        }
    }

    [Fact]
    public async Task Readyz_BeforeMigrations_Is503_WhileHealthzIsUp()
    {
        var dataDir = TempFolder.Create("skyport-unmigrated");
        // Started without PrepareAsync: the database exists but has none of its tables yet.
        await using var app = SkyportApplication.Build(["--urls=http://127.0.0.1:0", $"--Skyport:DataDir={dataDir}", "--Skyport:Jobs:Workers=0",
            "--Logging:LogLevel:Default=Critical"]);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        using var client = new HttpClient { BaseAddress = new Uri(address) };

        using var ready = await client.GetAsync("/readyz");
        using var live = await client.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        var checks = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("checks");
        Assert.Equal("Unhealthy", checks.GetProperty("migrations").GetString());
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        await app.StopAsync();
    }
}
