using System.Net.Http.Json;
using Skyport.Tests.Infrastructure;
using static Skyport.Tests.Uploads.UploadRequests;

namespace Skyport.Tests.ScaleOut;

/// <summary>
/// Two servers in this process on one PostgreSQL database and one data folder, both with job workers: jobs queued
/// through either run exactly once (the SKIP LOCKED claim), and anything one server hands out (API keys, encoded
/// ids) works on the other.
/// </summary>
public sealed class SharedQueueTests
{
    [Fact]
    public async Task TwoServersOneDatabase_JobsQueuedOnBoth_EachRunsExactlyOnce_AndIdsAreValidOnBoth()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Skyport:Database:Provider"] = "postgres",
            ["Skyport:Database:ConnectionString"] = await PostgresCluster.NewDatabaseAsync(),
            ["Skyport:Jobs:Workers"] = "4",
        };
        var dataDir = TempFolder.Create("skyport-shared");
        await using var first = await SkyportServer.StartAsync(settings, dataDir);
        await using var second = await SkyportServer.StartAsync(settings, dataDir);
        using var onFirst = await first.NewUserAsync();
        using var onSecond = second.Client(ApiKeyOf(onFirst));
        var historyId = await onFirst.CreateHistoryAsync();
        Assert.Equal("", second.AdminKey); // the first server's first start made the administrator; the second found it

        var contents = Enumerable.Range(0, 60).Select(i => $"shared {i}\n{new string('y', i * 50)}\n").ToArray();
        var clients = new[] { onFirst, onSecond };
        var batches = await Task.WhenAll(Enumerable.Range(0, 6).Select(b => clients[b % 2].FetchAsync(
            Fetch(historyId, contents.Skip(b * 10).Take(10).Select(c => (object)new { src = "pasted", paste_content = c, ext = "txt" }).ToArray()))));
        var created = batches.SelectMany(b => b).ToList();

        for (var i = 0; i < created.Count; i++)
        {
            var (datasetId, jobId) = created[i];
            await clients[i % 2].WaitForOkDatasetAsync(datasetId, TimeSpan.FromSeconds(120));
            var job = await clients[(i + 1) % 2].WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));
            Assert.Equal("ok", job.GetProperty("state").GetString());
            Assert.True(job.GetProperty("attempts").GetInt32() == 1, $"Job ran more than once: {job}");
            Assert.Equal(contents[i], await clients[(i + 1) % 2].DownloadTextAsync(datasetId));
        }
        var history = await onSecond.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/histories/{historyId}");
        Assert.Equal(60, history.GetProperty("state_details").GetProperty("ok").GetInt32());
    }
}
