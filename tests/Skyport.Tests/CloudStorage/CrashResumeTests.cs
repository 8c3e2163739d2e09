using System.Security.Cryptography;

using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// The real server as a child process, killed with SIGKILL in the middle of a get or a send and started again on the
/// same data folder, against each provider's emulator (classes at the end): the job is taken over once its lease runs
/// out and finishes from its checkpoint with byte-identical results. The emulator's request log shows that the ranges
/// fetched before the crash are not fetched again, and that the parts the store already held (S3: multipart parts;
/// Azure: staged blocks; GCS: the chunks the resumable session received) are not sent again, in the same upload.
/// Every request waits 1 s and parts move one at a time, so the kill lands part-way. The same servers show that a send
/// ending for good (cancelled while queued for a retry, or failing on its last attempt) leaves no upload behind.
/// </summary>
public abstract class CrashResumeTests<TFixture>(TFixture fixture) : IAsyncLifetime where TFixture : class, IStorageFixture
{
    private const int MiB = 1024 * 1024;
    private const int Parts = 6;
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(120);
    private readonly ChildServer _server = new();

    public Task InitializeAsync() => fixture.ClearFaultsAsync();

    public async Task DisposeAsync()
    {
        _server.Dispose();
        await fixture.ClearFaultsAsync();
    }

    private Task StartServerAsync(double retryBaseSeconds = 0.1, int? maxAttempts = null)
    {
        var settings = ChildServer.CrashSettings(fixture.ServerSettings());
        settings["Skyport:Jobs:RetryBaseSeconds"] = retryBaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (maxAttempts is { } attempts)
        {
            settings["Skyport:Jobs:MaxAttempts"] = attempts.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return _server.StartAsync(settings);
    }

    private Task<TransferSession> SignInAsync() => StorageUser.SignInAtAsync(_server.Url, fixture.Authorization.Provider, fixture.Authorization.Config);

    [Fact]
    public async Task Get_ServerKilledMidDownload_ResumesAfterRestart_WithoutRefetchingFinishedRanges()
    {
        await StartServerAsync();
        using var session = await SignInAsync();
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(Parts * 5 * MiB);
        await fixture.PutAsync(bucket, "big.bin", content);
        await fixture.DelayRequestsAsync(TimeSpan.FromSeconds(1));

        var (datasetId, jobId) = await session.GetAsync(bucket, "big.bin");
        await session.WaitForPartialProgressAsync(jobId, Slow);
        _server.Kill();
        var done = (await _server.CheckpointAsync()).GetProperty("done").EnumerateArray().Select(p => p.GetInt32()).ToHashSet();
        Assert.InRange(done.Count, 1, Parts - 1);
        await fixture.ClearFaultsAsync();
        await fixture.ClearRequestsAsync();
        await StartServerAsync();

        var dataset = await session.Http.WaitForDatasetAsync(datasetId, Slow);
        var job = await session.Http.WaitForJobAsync(jobId, Slow);
        Assert.True(dataset.GetProperty("state").GetString() == "ok", dataset.ToString());
        Assert.Equal(content, await session.ContentAsync(datasetId));
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        Assert.True(job.GetProperty("attempts").GetInt32() >= 2, job.ToString()); // 2, or more if a loaded machine lost a lease
        var missing = Enumerable.Range(0, Parts).Where(p => !done.Contains(p)).Select(p => $"bytes={p * 5L * MiB}-{(p + 1) * 5L * MiB - 1}");
        Assert.Equal(missing.Order(StringComparer.Ordinal), (await fixture.ReadRangesAsync(bucket, "big.bin")).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(Path.Combine(_server.DataDir, "tmp")));
    }

    [Fact]
    public async Task Send_ServerKilledMidUpload_ResumesSameUpload_WithoutResendingPartsTheStoreHolds()
    {
        await StartServerAsync();
        using var session = await SignInAsync();
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(Parts * 5 * MiB);
        await fixture.PutAsync(bucket, "source.bin", content);
        var (datasetId, _) = await session.GetAsync(bucket, "source.bin");
        Assert.Equal("ok", (await session.Http.WaitForDatasetAsync(datasetId, Slow)).GetProperty("state").GetString());
        await fixture.DelayRequestsAsync(TimeSpan.FromSeconds(1));

        var jobId = await session.SendAsync(datasetId, bucket, "copies/source.bin");
        await session.WaitForPartialProgressAsync(jobId, Slow);
        _server.Kill();
        var checkpoint = await _server.CheckpointAsync();
        Assert.Equal("copies/source.bin", checkpoint.GetProperty("final_key").GetString());
        Assert.False(string.IsNullOrEmpty(checkpoint.GetProperty("upload").GetString()), checkpoint.ToString());
        await fixture.ClearFaultsAsync();
        // A chunk whose bytes all arrived before the kill may still be landing in the store: read until it is settled.
        IReadOnlySet<string> held = await fixture.ResumablePartsAsync(bucket, "copies/source.bin", checkpoint), previous;
        do
        {
            previous = held;
            await Task.Delay(500);
            held = await fixture.ResumablePartsAsync(bucket, "copies/source.bin", checkpoint);
        }
        while (!held.SetEquals(previous));
        Assert.InRange(held.Count, 1, Parts - 1);
        // Every held part was sent by the killed server (one in flight at the kill lands without its answer being logged as a success).
        Assert.Subset((await fixture.UploadStepsAsync(bucket, "copies/source.bin")).Where(s => s.Kind == UploadStepKind.Part).Select(s => s.Part!).ToHashSet(), held.ToHashSet());
        await fixture.ClearRequestsAsync();
        await StartServerAsync();

        var job = await session.Http.WaitForJobAsync(jobId, Slow);
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        Assert.True(job.GetProperty("attempts").GetInt32() >= 2, job.ToString()); // 2, or more if a loaded machine lost a lease
        Assert.Equal(content, await fixture.ReadAsync(bucket, "copies/source.bin"));
        var steps = await fixture.UploadStepsAsync(bucket, "copies/source.bin");
        Assert.DoesNotContain(steps, s => s.Kind == UploadStepKind.Start);
        var resent = steps.Where(s => s.Kind == UploadStepKind.Part).Select(s => s.Part!).ToList();
        Assert.Empty(resent.Intersect(held));
        Assert.Equal(Parts - held.Count, resent.Count);
        Assert.Equal(resent.Count, resent.Distinct().Count());
        Assert.Single(steps, s => s.Kind == UploadStepKind.Commit && s.Succeeded);
        Assert.Empty(await fixture.UncommittedPartsAsync(bucket, "copies/source.bin"));
        Assert.Equal(["copies/source.bin", "source.bin"], (await fixture.KeysAsync(bucket)).Order().ToArray());
    }

    [Fact]
    public async Task Send_CancelledWhileQueuedForRetry_AbortsTheUploadAtTheStore()
    {
        await StartServerAsync();
        using var session = await SignInAsync();
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "source.bin", RandomNumberGenerator.GetBytes(Parts * 5 * MiB));
        var (datasetId, _) = await session.GetAsync(bucket, "source.bin");
        Assert.Equal("ok", (await session.Http.WaitForDatasetAsync(datasetId, Slow)).GetProperty("state").GetString());
        await fixture.DelayRequestsAsync(TimeSpan.FromSeconds(1));
        var jobId = await session.SendAsync(datasetId, bucket, "copies/source.bin");
        await session.WaitForPartialProgressAsync(jobId, Slow);
        _server.Kill();
        await fixture.ClearFaultsAsync();
        Assert.NotEmpty(await fixture.HeldPartsAsync(bucket, "copies/source.bin"));

        // The restarted server takes the job over, the store fails the attempt, and the job waits minutes for its retry.
        await fixture.FailRequestsAsync(count: 100_000, after: 0);
        await StartServerAsync(retryBaseSeconds: 300);
        await Poll.UntilAsync(async () => await session.JobAsync(jobId) is var job
            && job.GetProperty("state").GetString() == "queued" && job.GetProperty("attempts").GetInt32() == 2, Slow, "the job to wait for a retry");
        await fixture.ClearFaultsAsync();
        Assert.NotEmpty(await fixture.UncommittedPartsAsync(bucket, "copies/source.bin"));

        await GalaxyAssert.OkJsonAsync(await session.Http.DeleteAsync($"/api/jobs/{jobId}"));

        Assert.Equal("deleted", (await session.JobAsync(jobId)).GetProperty("state").GetString());
        Assert.Empty(await fixture.UncommittedPartsAsync(bucket, "copies/source.bin"));
        Assert.Equal(["source.bin"], await fixture.KeysAsync(bucket));
    }

    /// <summary>
    /// A job with one attempt, so its first failure is final: the first part lands, every later one meets 503s past the
    /// client's own retries. The failed send must abort its upload (S3 multipart upload, Azure staged blocks, GCS session)
    /// and leave no object. Only part uploads are faulted, so the abort itself is not.
    /// </summary>
    [Fact]
    public async Task Send_FailingForGoodAfterAPartLanded_AbortsTheUpload_AndLeavesNoObject()
    {
        await StartServerAsync(maxAttempts: 1);
        using var session = await SignInAsync();
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "source.bin", RandomNumberGenerator.GetBytes(Parts * 5 * MiB));
        var (datasetId, _) = await session.GetAsync(bucket, "source.bin");
        Assert.Equal("ok", (await session.Http.WaitForDatasetAsync(datasetId, Slow)).GetProperty("state").GetString());
        await fixture.FailPartUploadsAsync(count: 100_000, after: 1);

        var jobId = await session.SendAsync(datasetId, bucket, "copies/source.bin");
        var job = await session.Http.WaitForJobAsync(jobId, Slow);
        await fixture.ClearFaultsAsync();

        Assert.True(job.GetProperty("state").GetString() == "error", job.ToString());
        Assert.Contains("Giving up after 1 attempts", job.GetProperty("stderr").GetString());
        var steps = await fixture.UploadStepsAsync(bucket, "copies/source.bin");
        Assert.Contains(steps, s => s.Kind == UploadStepKind.Part && s.Succeeded);
        Assert.Contains(steps, s => s.Kind == UploadStepKind.Part && !s.Succeeded);
        Assert.Equal(["source.bin"], await fixture.KeysAsync(bucket));
        Assert.Empty(await fixture.UncommittedPartsAsync(bucket, "copies/source.bin"));
    }
}

public sealed class S3CrashResumeTests(S3Fixture fixture) : CrashResumeTests<S3Fixture>(fixture), IClassFixture<S3Fixture>;

public sealed class AzureCrashResumeTests(AzureFixture fixture) : CrashResumeTests<AzureFixture>(fixture), IClassFixture<AzureFixture>;

public sealed class GcsCrashResumeTests(GcsFixture fixture) : CrashResumeTests<GcsFixture>(fixture), IClassFixture<GcsFixture>;
