using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Skyport.Tests.Infrastructure;
using static Skyport.Tests.Uploads.UploadRequests;

namespace Skyport.Tests.Jobs;

public class JobCancellationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    [Fact]
    public async Task Cancel_SlowUrlJob_StopsDownload_DiscardsDataset_AndLeavesNoTempFiles()
    {
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The origin promises 64 MiB and trickles 4 KiB every 50 ms: the job is mid-download for minutes.
        await using var origin = await OriginServer.StartAsync(async (context, _) =>
        {
            context.Response.ContentLength = 64L << 20;
            var chunk = new byte[4096];
            try
            {
                while (!context.RequestAborted.IsCancellationRequested)
                {
                    await context.Response.Body.WriteAsync(chunk, context.RequestAborted);
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    await Task.Delay(50, context.RequestAborted);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException)
            {
            }
            aborted.TrySetResult();
        });
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var (datasetId, jobId) = Assert.Single(await client.FetchAsync(Fetch(historyId, new { src = "url", url = origin.Url("/huge.bin") })));

        var running = await PollAsync(client, $"/api/jobs/{jobId}",
            j => j.GetProperty("state").GetString() == "running" && j.GetProperty("progress").GetProperty("bytes_done").GetInt64() > 0);
        Assert.Equal(64L << 20, running.GetProperty("progress").GetProperty("bytes_total").GetInt64());
        Assert.NotEmpty(PartFiles());

        var cancelled = await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/jobs/{jobId}"));

        Assert.True(cancelled.GetBoolean());
        var job = await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");
        Assert.Equal("deleted", job.GetProperty("state").GetString());
        var dataset = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        Assert.Equal("discarded", dataset.GetProperty("state").GetString());
        // The download really stops: the origin sees the connection go away, well before 64 MiB.
        await aborted.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await PollUntilAsync(() => PartFiles().Length == 0, TimeSpan.FromSeconds(30));
        // And it stays cancelled: the worker does not overwrite the outcome when it notices.
        await Task.Delay(500);
        job = await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");
        Assert.Equal("deleted", job.GetProperty("state").GetString());
        dataset = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        Assert.Equal("discarded", dataset.GetProperty("state").GetString());
        Assert.Empty(PartFiles());
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/datasets/{datasetId}/display"), System.Net.HttpStatusCode.BadRequest, 0);
    }

    [Fact]
    public async Task Cancel_QueuedJobBeforeAnyWorkerRuns_MarksDeletedAndDiscarded()
    {
        await using var server = await SkyportServer.StartAsync(new Dictionary<string, string?> { ["Skyport:Jobs:Workers"] = "0" });
        using var client = await server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var (datasetId, jobId) = Assert.Single(await client.FetchAsync(Fetch(historyId, new { src = "pasted", paste_content = "never\n" })));

        var cancelled = await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/jobs/{jobId}"));

        Assert.True(cancelled.GetBoolean());
        Assert.Equal("deleted", (await client.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}")).GetProperty("state").GetString());
        Assert.Equal("discarded", (await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}")).GetProperty("state").GetString());
        var again = await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/jobs/{jobId}"));
        Assert.False(again.GetBoolean());
    }

    private string[] PartFiles() => Directory.GetFiles(Path.Combine(Server.DataDir, "tmp"), "*.part");

    private static async Task<JsonElement> PollAsync(HttpClient client, string url, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var current = await client.GetFromJsonAsync<JsonElement>(url);
            if (done(current))
            {
                return current;
            }
            Assert.True(DateTime.UtcNow < deadline, $"Gave up waiting; last seen: {current}");
            await Task.Delay(50);
        }
    }

    private static async Task PollUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Condition not met in time.");
            await Task.Delay(50);
        }
    }
}
