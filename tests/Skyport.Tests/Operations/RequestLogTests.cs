using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Skyport.Server.Galaxy;
using Skyport.Server.Operations.RequestLogging;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Operations;

public sealed class RequestLogTests
{
    /// <summary>Every category at Debug, ASP.NET Core's own request lines explicitly asked for: the key must still never appear.</summary>
    private static readonly Dictionary<string, string?> Verbose = new()
    {
        ["Logging:LogLevel:Default"] = "Debug",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Debug",
        ["Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics"] = "Trace",
        ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Debug",
    };

    [Fact]
    public async Task EachRequest_IsOneEvent_WithRouteStatusDurationUserAndRequestId_AndNeverTheKey()
    {
        var logs = new StructuredLogCapture();
        await using var server = await SkyportServer.StartAsync(Verbose, configure: logs.AddTo);
        using var anonymous = server.Anonymous();

        using var response = await anonymous.GetAsync($"/api/histories?key={server.AdminKey}&deleted=false");
        using var byHeader = await server.Admin().GetAsync("/api/users/current");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = response.Headers.GetValues(RequestLogs.RequestIdHeader).Single();
        var events = await WaitForAsync(logs, e => e.Category == RequestLogs.Category && Equals(e.Values.GetValueOrDefault("RequestId"), requestId));
        var entry = Assert.Single(events);
        Assert.Equal("GET", entry.Values["Method"]?.ToString());
        Assert.Equal("/api/histories", entry.Values["Path"]?.ToString());
        Assert.Equal("/api/histories/", entry.Values["Route"]);
        Assert.Equal(200, Convert.ToInt32(entry.Values["StatusCode"]));
        Assert.True(entry.Values.ContainsKey("Duration"));
        var adminId = server.Services.GetRequiredService<IdEncoder>().Encode(1);
        Assert.Equal(adminId, entry.Values["UserId"]);

        var text = logs.AllText();
        Assert.DoesNotContain(server.AdminKey, text);
        Assert.DoesNotContain("deleted=false", text);
    }

    [Fact]
    public async Task ErrorBodies_CarryTheRequestIdOfTheirResponseHeader()
    {
        await using var server = await SkyportServer.StartAsync();
        using var admin = server.Admin();

        foreach (var (path, status, code) in new[] { ("/api/histories/not-an-id", HttpStatusCode.BadRequest, 400009), ("/api/nothing-here", HttpStatusCode.NotFound, 404001) })
        {
            using var response = await admin.GetAsync(path);
            await GalaxyAssert.ErrorAsync(response, status, code);
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            Assert.Equal(response.Headers.GetValues(RequestLogs.RequestIdHeader).Single(), body.GetProperty("request_id").GetString());
        }
        using var unauthenticated = await server.Client("0123456789abcdef0123456789abcdef").GetAsync("/api/histories");
        await GalaxyAssert.ErrorAsync(unauthenticated, HttpStatusCode.Unauthorized, 401001);
        Assert.Equal(unauthenticated.Headers.GetValues(RequestLogs.RequestIdHeader).Single(),
            JsonDocument.Parse(await unauthenticated.Content.ReadAsStringAsync()).RootElement.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task EveryLineAJobWrites_CarriesItsJobId()
    {
        var logs = new StructuredLogCapture();
        await using var server = await SkyportServer.StartAsync(Verbose, configure: logs.AddTo);
        using var admin = server.Admin();
        var history = await admin.CreateHistoryAsync();

        var datasetId = await admin.PasteAsync(history, "chr1\t10\t20\n", "bed");
        var dataset = await admin.WaitForDatasetAsync(datasetId);
        Assert.Equal("ok", dataset.GetProperty("state").GetString());

        var started = (await WaitForAsync(logs, e => e.Category.EndsWith("JobRunner") && e.Message.Contains("finished ok"))).Single();
        var jobId = started.Values["JobId"];
        var runnerLines = logs.Events.Where(e => e.Category.StartsWith("Skyport.Server.Jobs.JobRunner", StringComparison.Ordinal)).ToList();
        Assert.True(runnerLines.Count >= 2);
        Assert.All(runnerLines, e => Assert.Equal(jobId, e.Scopes.GetValueOrDefault("JobId")));
        // The job's database work is logged by EF Core at Debug: inside the job, those lines carry the id too.
        var jobDbLines = logs.Events.Where(e => e.Scopes.ContainsKey("JobId") && e.Category.StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(jobDbLines);
        Assert.All(jobDbLines, e => Assert.Equal(jobId, e.Scopes["JobId"]));
    }

    private static async Task<List<CapturedEvent>> WaitForAsync(StructuredLogCapture logs, Func<CapturedEvent, bool> match)
    {
        // The request event is written as the response completes, a moment after the client has it.
        for (var i = 0; i < 100; i++)
        {
            var found = logs.Events.Where(match).ToList();
            if (found.Count > 0)
            {
                return found;
            }
            await Task.Delay(50);
        }
        return [];
    }
}
