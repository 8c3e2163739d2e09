using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Skyport.Tests.Infrastructure;
using static Skyport.Tests.Uploads.UploadRequests;

namespace Skyport.Tests.Jobs;

/// <summary>
/// The job row is the truth: several workers run each job exactly once, a job whose worker died is
/// taken over, and a job that keeps failing ends in error instead of staying running.
/// Each test starts its own servers, with the settings it needs.
/// </summary>
public sealed class JobRecoveryTests
{
    private static Dictionary<string, string?> Settings(int workers, double leaseSeconds = 30) => new()
    {
        ["Skyport:Uploads:AllowPrivateUrls"] = "true",
        ["Skyport:Jobs:Workers"] = workers.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Skyport:Jobs:LeaseSeconds"] = leaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task FourWorkers_FortyPastedDatasets_EveryJobRunsExactlyOnce()
    {
        await using var server = await SkyportServer.StartAsync(Settings(workers: 4));
        using var client = await server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var contents = Enumerable.Range(0, 40).Select(i => $"dataset {i}\n{new string('x', i * 100)}\n").ToArray();

        // Four concurrent requests of ten, so queueing and claiming interleave.
        var batches = await Task.WhenAll(Enumerable.Range(0, 4).Select(b => client.FetchAsync(
            Fetch(historyId, contents.Skip(b * 10).Take(10).Select(c => (object)new { src = "pasted", paste_content = c, ext = "txt" }).ToArray()))));
        var created = batches.SelectMany(b => b).ToList();
        Assert.Equal(40, created.Select(c => c.JobId).Distinct().Count());

        for (var i = 0; i < created.Count; i++)
        {
            var (datasetId, jobId) = created[i];
            await client.WaitForOkDatasetAsync(datasetId, TimeSpan.FromSeconds(120));
            var job = await client.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));
            Assert.Equal("ok", job.GetProperty("state").GetString());
            Assert.True(job.GetProperty("attempts").GetInt32() == 1, $"Job ran more than once: {job}");
            Assert.Equal(contents[i], await client.DownloadTextAsync(datasetId));
        }
        var list = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/jobs?history_id={historyId}&state=ok"));
        Assert.Equal(40, list.GetArrayLength());
    }

    [Fact]
    public async Task JobOfCrashedWorker_WithExpiredLease_IsTakenOverAfterRestart_AndEndsOk()
    {
        var dataDir = TempFolder.Create("skyport-test");
        string apiKey, historyId, datasetId, jobId;
        await using (var first = await SkyportServer.StartAsync(Settings(workers: 0), dataDir))
        {
            using var client = await first.NewUserAsync();
            apiKey = ApiKeyOf(client);
            historyId = await client.CreateHistoryAsync();
            (datasetId, jobId) = Assert.Single(await client.FetchAsync(Fetch(historyId, new { src = "pasted", paste_content = "survivor\n", ext = "txt" })));
        }
        // What a worker that died mid-job leaves behind: running, its lease run out, one attempt spent.
        Assert.Equal(1, await ExecuteAsync(dataDir,
            "UPDATE jobs SET State = 'Running', LeaseOwner = 'dead-worker', LeaseExpiresAt = '2000-01-01 00:00:00', Attempts = 1 WHERE State = 'Queued'"));

        await using var second = await SkyportServer.StartAsync(Settings(workers: 1, leaseSeconds: 2), dataDir);
        using var again = second.Client(apiKey);
        var dataset = await again.WaitForOkDatasetAsync(datasetId, TimeSpan.FromSeconds(60));
        var job = await again.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));

        Assert.Equal("ok", job.GetProperty("state").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        Assert.Equal("survivor\n", await again.DownloadTextAsync(datasetId));
        Assert.Equal("txt", dataset.GetProperty("extension").GetString());
    }

    [Fact]
    public async Task OneWorker_TakesTheJobReadyLongestFirst_NotTheOldestId()
    {
        var dataDir = TempFolder.Create("skyport-test");
        string apiKey;
        List<string> jobIds;
        await using (var first = await SkyportServer.StartAsync(Settings(workers: 0), dataDir))
        {
            using var client = await first.NewUserAsync();
            apiKey = ApiKeyOf(client);
            var historyId = await client.CreateHistoryAsync();
            jobIds = (await client.FetchAsync(Fetch(historyId,
                new { src = "pasted", paste_content = "one\n", ext = "txt" },
                new { src = "pasted", paste_content = "two\n", ext = "txt" },
                new { src = "pasted", paste_content = "three\n", ext = "txt" }))).Select(c => c.JobId).ToList();
        }
        // As after retries with backoff: the first job became ready last, the second first.
        var readyAt = new[] { "2000-01-03 00:00:00", "2000-01-01 00:00:00", "2000-01-02 00:00:00" };
        await using (var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "skyport.db")};Pooling=False"))
        {
            await connection.OpenAsync();
            var ids = new List<long>();
            await using (var select = connection.CreateCommand())
            {
                select.CommandText = "SELECT Id FROM jobs ORDER BY Id";
                await using var reader = await select.ExecuteReaderAsync();
                while (await reader.ReadAsync())
                {
                    ids.Add(reader.GetInt64(0));
                }
            }
            Assert.Equal(3, ids.Count);
            for (var i = 0; i < 3; i++)
            {
                await using var update = connection.CreateCommand();
                update.CommandText = $"UPDATE jobs SET NotBefore = '{readyAt[i]}' WHERE Id = {ids[i]}";
                Assert.Equal(1, await update.ExecuteNonQueryAsync());
            }
        }

        await using var second = await SkyportServer.StartAsync(Settings(workers: 1), dataDir);
        using var again = second.Client(apiKey);
        var finished = new List<(string JobId, DateTime At)>();
        foreach (var jobId in jobIds)
        {
            var job = await again.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));
            Assert.Equal("ok", job.GetProperty("state").GetString());
            finished.Add((jobId, job.GetProperty("update_time").GetDateTime()));
        }

        Assert.Equal([jobIds[1], jobIds[2], jobIds[0]], finished.OrderBy(f => f.At).Select(f => f.JobId));
    }

    [Fact]
    public async Task JobOfCrashedWorker_WithAttemptsExhausted_EndsInErrorWithClearMessage()
    {
        var dataDir = TempFolder.Create("skyport-test");
        string apiKey, datasetId, jobId;
        await using (var first = await SkyportServer.StartAsync(Settings(workers: 0), dataDir))
        {
            using var client = await first.NewUserAsync();
            apiKey = ApiKeyOf(client);
            var historyId = await client.CreateHistoryAsync();
            (datasetId, jobId) = Assert.Single(await client.FetchAsync(Fetch(historyId, new { src = "pasted", paste_content = "doomed\n" })));
        }
        Assert.Equal(1, await ExecuteAsync(dataDir,
            "UPDATE jobs SET State = 'Running', LeaseOwner = 'dead-worker', LeaseExpiresAt = '2000-01-01 00:00:00', Attempts = 5 WHERE State = 'Queued'"));

        await using var second = await SkyportServer.StartAsync(Settings(workers: 1, leaseSeconds: 2), dataDir);
        using var again = second.Client(apiKey);
        var job = await again.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));
        var dataset = await again.WaitForDatasetAsync(datasetId, TimeSpan.FromSeconds(60));

        Assert.Equal("error", job.GetProperty("state").GetString());
        Assert.Contains("giving up", job.GetProperty("stderr").GetString());
        Assert.Equal("error", dataset.GetProperty("state").GetString());
        Assert.False(string.IsNullOrWhiteSpace(dataset.GetProperty("misc_info").GetString()));
    }

    [Fact]
    public async Task UrlFailingEveryTime_ExhaustsAttempts_AndEndsInErrorNotRunning()
    {
        await using var origin = await OriginServer.StartAsync((context, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        });
        var settings = Settings(workers: 1);
        settings["Skyport:Jobs:MaxAttempts"] = "3";
        await using var server = await SkyportServer.StartAsync(settings);
        using var client = await server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();

        var (datasetId, jobId) = Assert.Single(await client.FetchAsync(Fetch(historyId, new { src = "url", url = origin.Url("/down.txt") })));
        var job = await client.WaitForJobAsync(jobId, TimeSpan.FromSeconds(60));
        var dataset = await client.WaitForDatasetAsync(datasetId, TimeSpan.FromSeconds(60));

        Assert.Equal("error", job.GetProperty("state").GetString());
        Assert.Equal(3, job.GetProperty("attempts").GetInt32());
        Assert.Contains("503", job.GetProperty("stderr").GetString());
        Assert.Equal("error", dataset.GetProperty("state").GetString());
        Assert.Contains("503", dataset.GetProperty("misc_info").GetString());
        Assert.Equal(3, origin.Hits("/down.txt"));
    }

    private static async Task<int> ExecuteAsync(string dataDir, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "skyport.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync();
    }
}
