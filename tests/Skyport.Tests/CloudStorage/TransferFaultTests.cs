using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Galaxy;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// Get and send against the S3 emulator while it misbehaves: outages shorter and longer than the retry budget,
/// 503s in the middle of a multipart upload, corrupted objects, keys that expire mid-transfer, and cancellation.
/// Each test runs its own in-process server (its own data folder) on the class's test cloud; the emulator's
/// request log shows what was sent and fetched, so resumption is checked part by part.
/// </summary>
public sealed class TransferFaultTests(TransferCloudFixture fixture) : IClassFixture<TransferCloudFixture>, IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(120);
    private readonly List<(SkyportServer Server, TransferSession Session)> _servers = [];

    private TestCloud Cloud => fixture.Cloud;

    public async Task InitializeAsync()
    {
        await Cloud.ClearS3FaultsAsync();
        await Cloud.SetAwsKeyLifetimeAsync(null);
    }

    public async Task DisposeAsync()
    {
        await Cloud.ClearS3FaultsAsync();
        await Cloud.SetAwsKeyLifetimeAsync(null);
        foreach (var (server, session) in _servers)
        {
            session.Dispose();
            await server.DisposeAsync();
        }
    }

    /// <summary>A server whose retries back off from 1 s (1, 2, 4, 8 s over 5 attempts), unless <paramref name="extra"/> says otherwise.</summary>
    private async Task<(SkyportServer Server, TransferSession Session)> StartAsync(Dictionary<string, string>? extra = null)
    {
        var settings = new Dictionary<string, string> { ["Skyport:Jobs:RetryBaseSeconds"] = "1", ["Skyport:Jobs:Workers"] = "2" };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        var server = await SkyportServer.StartAsync(fixture.ServerSettings(settings));
        try
        {
            var session = await fixture.SignInAsync(server.BaseAddress);
            _servers.Add((server, session));
            return (server, session);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new server on a stopped one's data folder; the same user signs in again and keeps the authorization.</summary>
    private async Task<(SkyportServer Server, TransferSession Session)> RestartAsync(SkyportServer stopped, TransferSession session, Dictionary<string, string> settings,
        Action<WebApplicationBuilder>? configure = null)
    {
        var restarted = await SkyportServer.StartAsync(fixture.ServerSettings(settings), stopped.DataDir, configure);
        var login = new Identity.SkyportLogin(restarted);
        Assert.Equal(HttpStatusCode.Redirect, (await login.LoginAsync()).StatusCode);
        var resumed = new TransferSession(login.Http, session.AuthzId);
        _servers.Add((restarted, resumed));
        return (restarted, resumed);
    }

    private static string TempDir(SkyportServer server) => Path.Combine(server.DataDir, "tmp");

    private static async Task<JsonElement> FinishedAsync(TransferSession session, string jobId)
    {
        var job = await session.Http.WaitForJobAsync(jobId, Slow);
        Assert.False(job.GetProperty("state").GetString() is "new" or "queued" or "running", $"Job still unfinished: {job}");
        return job;
    }

    /// <summary>A dataset holding <paramref name="content"/>, brought in by a get without faults.</summary>
    private async Task<string> DatasetAsync(TransferSession session, string bucket, string name, byte[] content)
    {
        await fixture.PutAsync(bucket, name, content);
        var (datasetId, _) = await session.GetAsync(bucket, name);
        Assert.Equal("ok", (await session.Http.WaitForDatasetAsync(datasetId, Slow)).GetProperty("state").GetString());
        return datasetId;
    }

    /// <summary>Each part (by range or part number) succeeded once and was never asked for again after it succeeded.</summary>
    private static void AssertNoFinishedPartRepeated(IReadOnlyList<S3Request> requests, Func<S3Request, string> part, int expectedParts)
    {
        var succeeded = new HashSet<string>();
        foreach (var request in requests)
        {
            Assert.False(succeeded.Contains(part(request)), $"Part {part(request)} was transferred again after it had succeeded: {string.Join(", ", requests.Select(r => $"{part(r)}:{r.Status?.ToString() ?? r.Fault}"))}");
            if (request.Succeeded)
            {
                succeeded.Add(part(request));
            }
        }
        Assert.True(expectedParts == succeeded.Count, $"{succeeded.Count} parts succeeded: {string.Join(", ", requests.Select(r => $"{part(r)}:{r.Status?.ToString() ?? r.Fault}"))}");
    }

    [Fact]
    public async Task Get_WhenStoreDropsConnectionsMidDownload_RetriesAndImportsIdenticalBytes_WithoutRefetchingFinishedParts()
    {
        var (server, session) = await StartAsync();
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB);
        await fixture.PutAsync(bucket, "big.bin", content);
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(300));

        var (datasetId, jobId) = await session.GetAsync(bucket, "big.bin");
        await fixture.WaitForSucceededAsync(bucket, "big.bin", "GetObject", 2);
        await Cloud.DropS3ConnectionsAsync(duration: TimeSpan.FromSeconds(4));

        var job = await FinishedAsync(session, jobId);
        var dataset = await session.Http.WaitForDatasetAsync(datasetId, Slow);
        Assert.Equal("ok", job.GetProperty("state").GetString());
        Assert.True(job.GetProperty("attempts").GetInt32() > 1, $"The outage should have cost an attempt: {job}");
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        Assert.Equal(content, await session.ContentAsync(datasetId));
        var ranges = (await Cloud.S3RequestsAsync(bucket, "big.bin")).Where(r => r.Operation == "GetObject").ToList();
        Assert.Contains(ranges, r => r.Fault == "dropped");
        AssertNoFinishedPartRepeated(ranges, r => r.Range ?? "whole", 6);
        Assert.Empty(Directory.GetFiles(TempDir(server)));
    }

    [Fact]
    public async Task Get_WhenOutageOutlastsRetryBudget_FailsWithClearMessage_DatasetError_AndNoTempLeft()
    {
        var (server, session) = await StartAsync(new() { ["Skyport:Jobs:MaxAttempts"] = "2", ["Skyport:Jobs:RetryBaseSeconds"] = "0.5" });
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "big.bin", RandomNumberGenerator.GetBytes(30 * MiB));
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(300));

        var (datasetId, jobId) = await session.GetAsync(bucket, "big.bin");
        await fixture.WaitForSucceededAsync(bucket, "big.bin", "GetObject", 2);
        await Cloud.DropS3ConnectionsAsync(duration: TimeSpan.FromSeconds(300));

        var job = await FinishedAsync(session, jobId);
        var dataset = await session.Http.WaitForDatasetAsync(datasetId, Slow);
        await Cloud.ClearS3FaultsAsync();
        Assert.Equal("error", job.GetProperty("state").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        Assert.Contains("Giving up after 2 attempts", job.GetProperty("stderr").GetString());
        Assert.Contains("connection to the store broke", job.GetProperty("stderr").GetString());
        Assert.Equal("error", dataset.GetProperty("state").GetString());
        Assert.Contains("Giving up after 2 attempts", dataset.GetProperty("misc_info").GetString());
        Assert.Empty(Directory.GetFiles(TempDir(server)));
    }

    [Fact]
    public async Task Send_When503sInterruptMultipartUpload_ResumesSameUpload_WithoutResendingFinishedParts()
    {
        var (_, session) = await StartAsync();
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB);
        var datasetId = await DatasetAsync(session, bucket, "source.bin", content);
        await Cloud.ClearS3RequestsAsync();
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(300));

        var jobId = await session.SendAsync(datasetId, bucket, "copies/source.bin");
        await fixture.WaitForSucceededAsync(bucket, "copies/source.bin", "UploadPart", 2);
        // Enough 503s to outlast the SDK's own retries of one request, so the job itself has to retry.
        await Cloud.FailS3RequestsAsync(S3Failure.SlowDown, requests: 8);

        var job = await FinishedAsync(session, jobId);
        Assert.Equal("ok", job.GetProperty("state").GetString());
        Assert.True(job.GetProperty("attempts").GetInt32() > 1, $"The 503s should have cost an attempt: {job}");
        Assert.Equal(content, await fixture.ReadAsync(bucket, "copies/source.bin"));
        var requests = await Cloud.S3RequestsAsync(bucket, "copies/source.bin");
        Assert.Contains(requests, r => r.Fault == "error");
        Assert.Single(requests, r => r.Operation == "CreateMultipartUpload" && r.Succeeded);
        var parts = requests.Where(r => r.Operation == "UploadPart").ToList();
        Assert.Single(parts.Select(p => p.UploadId).Distinct());
        AssertNoFinishedPartRepeated(parts, r => r.PartNumber!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), 6);
        Assert.Empty(await Cloud.S3MultipartUploadsAsync(bucket));
        Assert.Equal(["copies/source.bin", "source.bin"], (await fixture.KeysAsync(bucket)).Order().ToArray());
    }

    [Fact]
    public async Task Get_WhenTheStoreAnswersHeadsWith503s_ChecksAgainShortly_AndImportsTheObject()
    {
        var (_, session) = await StartAsync();
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(1000);
        await fixture.PutAsync(bucket, "checked.bin", content);
        // The request checks each named object with a HEAD before queueing anything; two 503s in a row are a passing hiccup.
        await Cloud.FailS3RequestsAsync(S3Failure.SlowDown, requests: 2, operations: ["HeadObject"]);

        var (datasetId, _) = await session.GetAsync(bucket, "checked.bin");

        var dataset = await session.Http.WaitForDatasetAsync(datasetId, Slow);
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(content)), dataset.GetProperty("hashes").EnumerateArray()
            .Single(h => h.GetProperty("hash_function").GetString() == "MD5").GetProperty("hash_value").GetString());
        var heads = (await Cloud.S3RequestsAsync(bucket, "checked.bin")).Where(r => r.Operation == "HeadObject").ToList();
        Assert.Equal([503, 503, 200], heads.Select(r => r.Status));
    }

    [Fact]
    public async Task Get_OfCorruptedSinglePartObject_FailsVerification_DatasetError_AndNoTempLeft()
    {
        var (server, session) = await StartAsync();
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "small.bin", RandomNumberGenerator.GetBytes(MiB));
        await Cloud.CorruptS3ObjectAsync(bucket, "small.bin");

        var (datasetId, jobId) = await session.GetAsync(bucket, "small.bin");

        await AssertVerificationFailedAsync(server, session, datasetId, jobId);
    }

    [Fact]
    public async Task Get_OfCorruptedMultipartObjectSkyportSent_FailsSha256Verification_DatasetError_AndNoTempLeft()
    {
        var (server, session) = await StartAsync();
        var bucket = await fixture.NewBucketAsync();
        var datasetId = await DatasetAsync(session, bucket, "original.bin", RandomNumberGenerator.GetBytes(12 * MiB + 5));
        var sendJob = await FinishedAsync(session, await session.SendAsync(datasetId, bucket, "sent/original.bin"));
        Assert.Equal("ok", sendJob.GetProperty("state").GetString());
        Assert.Contains(await Cloud.S3RequestsAsync(bucket, "sent/original.bin"), r => r.Operation == "CompleteMultipartUpload" && r.Succeeded);
        var head = await fixture.S3.GetObjectMetadataAsync(bucket, "sent/original.bin");
        Assert.Equal(64, head.Metadata["skyport-sha256"].Length);
        await Cloud.CorruptS3ObjectAsync(bucket, "sent/original.bin", offset: 7 * MiB);

        var (corruptId, jobId) = await session.GetAsync(bucket, "sent/original.bin");

        await AssertVerificationFailedAsync(server, session, corruptId, jobId);
    }

    private static async Task AssertVerificationFailedAsync(SkyportServer server, TransferSession session, string datasetId, string jobId)
    {
        var job = await FinishedAsync(session, jobId);
        var dataset = await session.Http.WaitForDatasetAsync(datasetId, Slow);
        Assert.Equal("error", job.GetProperty("state").GetString());
        Assert.Contains("Verification", job.GetProperty("stderr").GetString());
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        Assert.Equal("error", dataset.GetProperty("state").GetString());
        Assert.Contains("Verification", dataset.GetProperty("misc_info").GetString());
        var history = dataset.GetProperty("history_id").GetString();
        var contents = await session.Http.GetFromJsonAsync<JsonElement>($"/api/histories/{history}/contents");
        Assert.DoesNotContain(contents.EnumerateArray(), c => c.GetProperty("state").GetString() == "ok");
        Assert.Empty(Directory.GetFiles(Path.Combine(server.DataDir, "tmp")));
    }

    [Fact]
    public async Task Get_LongerThanOneCredentialLifetime_RenewsKeysAndCompletes()
    {
        var (server, session) = await StartAsync();
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB);
        await fixture.PutAsync(bucket, "long.bin", content);
        await Cloud.SetAwsKeyLifetimeAsync(TimeSpan.FromSeconds(6));
        // Six 5 MiB parts, one at a time, 1.5 s each: about 9 s, well past one 6 s lifetime.
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(1500));

        var (datasetId, jobId) = await session.GetAsync(bucket, "long.bin");

        var job = await FinishedAsync(session, jobId);
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        Assert.Equal(content, await session.ContentAsync(datasetId));
        await AssertRenewedAsync(server, session, jobId);
    }

    [Fact]
    public async Task Send_LongerThanOneCredentialLifetime_RenewsKeysAndCompletes()
    {
        var (server, session) = await StartAsync();
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB);
        // Before the first issuance: credentials are shared per authorization from then on.
        await Cloud.SetAwsKeyLifetimeAsync(TimeSpan.FromSeconds(6));
        var datasetId = await DatasetAsync(session, bucket, "source.bin", content);
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(1500));

        var jobId = await session.SendAsync(datasetId, bucket, "copies/source.bin");

        var job = await FinishedAsync(session, jobId);
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        await Cloud.ClearS3FaultsAsync();
        Assert.Equal(content, await fixture.ReadAsync(bucket, "copies/source.bin"));
        await AssertRenewedAsync(server, session, jobId);
    }

    private async Task AssertRenewedAsync(SkyportServer server, TransferSession session, string jobId)
    {
        var purpose = $"job {server.Services.GetRequiredService<IdEncoder>().Decode(new EncodedId(jobId))}";
        var issuances = (await session.Http.GetFromJsonAsync<JsonElement>("/api/cloud/credentials/issuances")).EnumerateArray()
            .Where(i => i.GetProperty("purpose").GetString() == purpose).ToList();
        // Credentials are shared per authorization and first issued for the request that queued the job, so
        // every issuance attributed to the job is a renewal made while it ran.
        Assert.True(issuances.Count(i => i.GetProperty("succeeded").GetBoolean()) >= 1,
            $"Expected the keys of {purpose} to be renewed at least once: {string.Join(", ", issuances)}");
        Assert.DoesNotContain(issuances, i => !i.GetProperty("succeeded").GetBoolean());
        Assert.DoesNotContain(await Cloud.S3RequestsAsync(), r => r.Status == 400 && r.Operation is "GetObject" or "UploadPart");
    }

    [Fact]
    public async Task Send_CancelledMidUpload_AbortsTheMultipartUpload_AndLeavesNoObject()
    {
        var (_, session) = await StartAsync();
        var bucket = await fixture.NewBucketAsync();
        var datasetId = await DatasetAsync(session, bucket, "source.bin", RandomNumberGenerator.GetBytes(30 * MiB));
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(1000));

        var jobId = await session.SendAsync(datasetId, bucket, "copies/source.bin");
        await fixture.WaitForSucceededAsync(bucket, "copies/source.bin", "UploadPart", 1);
        Assert.Single(await Cloud.S3MultipartUploadsAsync(bucket));
        await GalaxyAssert.OkJsonAsync(await session.Http.DeleteAsync($"/api/jobs/{jobId}"));

        await Poll.UntilAsync(async () => (await Cloud.S3MultipartUploadsAsync(bucket)).Count == 0, Slow, "the multipart upload to be aborted");
        Assert.Contains(await Cloud.S3RequestsAsync(bucket, "copies/source.bin"), r => r.Operation == "AbortMultipartUpload" && r.Succeeded);
        Assert.Equal("deleted", (await session.JobAsync(jobId)).GetProperty("state").GetString());
        Assert.Equal(["source.bin"], await fixture.KeysAsync(bucket));
    }

    [Fact]
    public async Task Get_CancelledMidDownload_RemovesThePartialFile()
    {
        var (server, session) = await StartAsync();
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "big.bin", RandomNumberGenerator.GetBytes(30 * MiB));
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(1000));

        var (datasetId, jobId) = await session.GetAsync(bucket, "big.bin");
        await fixture.WaitForSucceededAsync(bucket, "big.bin", "GetObject", 1);
        Assert.NotEmpty(Directory.GetFiles(TempDir(server), "*.download"));
        await GalaxyAssert.OkJsonAsync(await session.Http.DeleteAsync($"/api/jobs/{jobId}"));

        await Poll.UntilAsync(() => Task.FromResult(Directory.GetFiles(TempDir(server)).Length == 0), Slow, "the partial download to be removed");
        Assert.Equal("deleted", (await session.JobAsync(jobId)).GetProperty("state").GetString());
        Assert.NotEqual("ok", (await session.DatasetAsync(datasetId)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Get_InterruptedByGracefulShutdown_KeepsItsPartialDownload_AndResumesAfterRestart()
    {
        var (first, session) = await StartAsync(new() { ["Skyport:Transfers:PartConcurrency"] = "1" });
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB);
        await fixture.PutAsync(bucket, "big.bin", content);
        await Cloud.ClearS3RequestsAsync();
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(700));
        var (datasetId, jobId) = await session.GetAsync(bucket, "big.bin");
        // The third range is asked for once the second has landed and is checkpointed; it is held 700 ms, so it is the one
        // the shutdown interrupts. (Waiting for two answered ranges instead stopped the server while it could still be
        // reading the second, which then rightly came again.)
        await fixture.WaitForReceivedAsync(bucket, "big.bin", "GetObject", 3);

        await first.StopAsync();

        Assert.NotEmpty(Directory.GetFiles(TempDir(first), "*.download"));
        await Cloud.ClearS3FaultsAsync();
        var (_, resumed) = await RestartAsync(first, session, new() { ["Skyport:Transfers:PartConcurrency"] = "1" });
        var job = await FinishedAsync(resumed, jobId);
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        Assert.Equal(content, await resumed.ContentAsync(datasetId));
        // A shutdown is not the job's fault: it did not spend an attempt, and no finished range was fetched twice.
        Assert.Equal(1, job.GetProperty("attempts").GetInt32());
        var ranges = (await Cloud.S3RequestsAsync(bucket, "big.bin")).Where(r => r.Operation == "GetObject").ToList();
        AssertNoFinishedPartRepeated(ranges, r => r.Range ?? "whole", 6);
    }

    /// <summary>
    /// Small objects are claimed in batches (one worker here takes all ten at once). An object deleted after the request was
    /// checked fails its own dataset; the jobs behind it in the batch go back to the queue without spending an attempt, and
    /// each of the others is fetched once and imported intact.
    /// </summary>
    [Fact]
    public async Task Get_OfSmallObjectsInOneBatch_OneDeletedMeanwhile_FailsOnlyItsDataset_AndTheRestRunOnceEach()
    {
        var (first, session) = await StartAsync(new() { ["Skyport:Jobs:Workers"] = "0" });
        var bucket = await fixture.NewBucketAsync();
        var keys = Enumerable.Range(0, 10).Select(i => $"small/{i:D2}.bin").ToArray();
        var contents = keys.Select((_, i) => RandomNumberGenerator.GetBytes(1000 + i)).ToArray();
        for (var i = 0; i < keys.Length; i++)
        {
            await fixture.PutAsync(bucket, keys[i], contents[i]);
        }
        var datasetIds = await session.GetManyAsync(bucket, keys);
        await fixture.S3.DeleteObjectAsync(bucket, keys[2]);
        await first.StopAsync();
        await Cloud.ClearS3RequestsAsync();

        var logs = new LogCapture();
        var (_, resumed) = await RestartAsync(first, session,
            new() { ["Skyport:Jobs:Workers"] = "1", ["Logging:LogLevel:Skyport.Server.Jobs"] = "Information" }, logs.AddTo);

        for (var i = 0; i < keys.Length; i++)
        {
            var dataset = await resumed.Http.WaitForDatasetAsync(datasetIds[i], Slow);
            var job = await FinishedAsync(resumed, dataset.GetProperty("creating_job").GetString()!);
            Assert.True(job.GetProperty("attempts").GetInt32() == 1, $"{keys[i]}: {job}");
            if (i == 2)
            {
                Assert.Equal("error", dataset.GetProperty("state").GetString());
                Assert.Contains($"`{keys[2]}` no longer exists", dataset.GetProperty("misc_info").GetString());
                continue;
            }
            Assert.True(dataset.GetProperty("state").GetString() == "ok", $"{keys[i]}: {dataset}");
            Assert.Equal(contents[i], await resumed.ContentAsync(datasetIds[i]));
            Assert.Single(await Cloud.S3RequestsAsync(bucket, keys[i]), r => r.Operation == "GetObject");
        }
        // One line per batch at Information: the first ran three jobs and gave seven back; the second ran those seven.
        var batches = logs.Lines.Where(l => l.StartsWith("Information Skyport.Server.Jobs.JobWorkerPool: Batch of", StringComparison.Ordinal)).ToList();
        Assert.True(batches.Count == 2, logs.All);
        Assert.Contains("Batch of 10 cloud_get jobs ran in", batches[0]);
        Assert.Contains(": 2 ok, 7 given back; jobs ", batches[0]);
        Assert.Contains(": 7 ok, 0 given back; jobs ", batches[1]);
        Assert.DoesNotContain(logs.Lines, l => l.StartsWith("Information Skyport.Server.Jobs.JobRunner", StringComparison.Ordinal) && l.Contains("finished ok"));
        Assert.Contains(logs.Lines, l => l.StartsWith("Warning Skyport.Server.Jobs.JobRunner", StringComparison.Ordinal) && l.Contains("no longer exists"));
    }

    /// <summary>A shutdown in the middle of a batch gives back the running job and the ones behind it, none spending an attempt.</summary>
    [Fact]
    public async Task Get_OfSmallObjectsInOneBatch_InterruptedByGracefulShutdown_GivesEveryJobBack_AndAllFinishAfterRestart()
    {
        var (first, session) = await StartAsync(new() { ["Skyport:Jobs:Workers"] = "0" });
        var bucket = await fixture.NewBucketAsync();
        var keys = Enumerable.Range(0, 6).Select(i => $"batch/{i}.txt").ToArray();
        foreach (var key in keys)
        {
            await fixture.PutAsync(bucket, key, System.Text.Encoding.UTF8.GetBytes($"{key}\n"));
        }
        var datasetIds = await session.GetManyAsync(bucket, keys);
        await first.StopAsync();
        await Cloud.ClearS3RequestsAsync();
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(700));

        var (second, secondSession) = await RestartAsync(first, session, new() { ["Skyport:Jobs:Workers"] = "1" });
        await fixture.WaitForReceivedAsync(bucket, keys[1], "GetObject", 1);
        await second.StopAsync();
        await Cloud.ClearS3FaultsAsync();
        // Given back: every job but the first (done) is queued again with no attempt spent, and its output with it.
        using (var connection = second.OpenDatabase())
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """SELECT j."State", j."Attempts", d."State" FROM jobs j JOIN datasets d ON d."Id" = j."OutputDatasetId" ORDER BY j."Id" """;
            using var reader = command.ExecuteReader();
            var rows = new List<string>();
            while (reader.Read())
            {
                rows.Add($"{reader.GetString(0)} {reader.GetInt32(1)} {reader.GetString(2)}");
            }
            Assert.Equal(["Ok 1 Ok", .. Enumerable.Repeat("Queued 0 Queued", keys.Length - 1)], rows);
        }

        var (_, resumed) = await RestartAsync(second, secondSession, new() { ["Skyport:Jobs:Workers"] = "2" });
        for (var i = 0; i < keys.Length; i++)
        {
            var dataset = await resumed.Http.WaitForDatasetAsync(datasetIds[i], Slow);
            Assert.True(dataset.GetProperty("state").GetString() == "ok", $"{keys[i]}: {dataset}");
            Assert.Equal($"{keys[i]}\n", System.Text.Encoding.UTF8.GetString(await resumed.ContentAsync(datasetIds[i])));
            var job = await FinishedAsync(resumed, dataset.GetProperty("creating_job").GetString()!);
            Assert.True(job.GetProperty("attempts").GetInt32() == 1, $"{keys[i]}: {job}");
        }
    }
}
