using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// Get and send against the Azure and GCS emulators while they misbehave (503s past the SDK's own retries,
/// dropped connections, corrupted objects, cancellation), written once and run per provider (classes at the end).
/// Faults are injected after a number of requests, so "mid-transfer" does not depend on timing. These tests judge by
/// the job, the dataset and what the store holds afterwards (CrashResumeTests reads the emulators' request logs).
/// </summary>
public abstract class ProviderFaultTests<TFixture>(TFixture fixture) : IAsyncLifetime where TFixture : class, IStorageFixture
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(120);

    private HttpClient User => fixture.User;

    public Task InitializeAsync() => fixture.ClearFaultsAsync();

    public Task DisposeAsync() => fixture.ClearFaultsAsync();

    private string TempDir => Path.Combine(fixture.Server.DataDir, "tmp");

    private async Task<(string DatasetId, string JobId)> GetAsync(string bucket, string key)
    {
        var history = await User.CreateHistoryAsync();
        var queued = await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { key } }));
        var datasetId = queued[0].GetProperty("id").GetString()!;
        var jobs = await User.GetFromJsonAsync<JsonElement>($"/api/jobs?history_id={history}");
        return (datasetId, Assert.Single(jobs.EnumerateArray()).GetProperty("id").GetString()!);
    }

    private async Task<string> SendAsync(string datasetId, string bucket, string key)
    {
        var dataset = await User.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        var prefix = key.Contains('/') ? key[..(key.LastIndexOf('/') + 1)] : "";
        var response = await GalaxyAssert.OkJsonAsync(await User.PostAsJsonAsync("/api/cloud/storage/send", new
        {
            history_id = dataset.GetProperty("history_id").GetString(), authz_id = fixture.AuthzId, bucket,
            dataset_ids = new[] { datasetId }, key_prefix = prefix, overwrite_existing = "true",
        }));
        var label = JsonDocument.Parse(Assert.Single(response.GetProperty("sent_dataset_labels").EnumerateArray()).GetString()!).RootElement;
        Assert.Equal(key, label.GetProperty("object").GetString());
        return label.GetProperty("job_id").GetString()!;
    }

    private async Task<JsonElement> FinishedAsync(string jobId)
    {
        var job = await User.WaitForJobAsync(jobId, Slow);
        Assert.False(job.GetProperty("state").GetString() is "new" or "queued" or "running", $"Job still unfinished: {job}");
        return job;
    }

    /// <summary>A dataset holding <paramref name="content"/>, brought in by a get without faults.</summary>
    private async Task<string> DatasetAsync(string bucket, string name, byte[] content)
    {
        await fixture.PutAsync(bucket, name, content);
        var (datasetId, _) = await GetAsync(bucket, name);
        Assert.Equal("ok", (await User.WaitForDatasetAsync(datasetId, Slow)).GetProperty("state").GetString());
        return datasetId;
    }

    private async Task<string?> CheckpointAsync(string jobId)
    {
        using var scope = fixture.Server.Services.CreateScope();
        var id = scope.ServiceProvider.GetRequiredService<IdEncoder>().Decode(new EncodedId(jobId));
        var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
        return await db.Jobs.AsNoTracking().Where(j => j.Id == id).Select(j => j.Checkpoint).SingleAsync();
    }

    [Fact]
    public async Task Get_When503sOutlastSdkRetriesMidDownload_JobRetries_AndImportsIdenticalBytes()
    {
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB + 3);
        await fixture.PutAsync(bucket, "big.bin", content);
        // HEAD and two of the seven 5 MiB ranges pass; the other five are in flight together. One more 503 than those
        // five can absorb without any giving up, so one range exhausts the SDK's retries and the attempt fails, and
        // (five requests taking all their tries would use more) nothing is left to fail the next attempt for long.
        await fixture.FailRequestsAsync(count: fixture.GetFailuresOutlastingSdkRetries, after: 3);

        var (datasetId, jobId) = await GetAsync(bucket, "big.bin");

        var job = await FinishedAsync(jobId);
        var dataset = await User.WaitForDatasetAsync(datasetId, Slow);
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        Assert.True(job.GetProperty("attempts").GetInt32() > 1, $"The 503s should have cost an attempt: {job}");
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        Assert.Equal(content, await User.GetByteArrayAsync($"/api/datasets/{datasetId}/display"));
        Assert.Empty(Directory.GetFiles(TempDir, "*.download"));
    }

    [Fact]
    public async Task Get_WhenStoreDropsConnectionsForSecondsMidDownload_JobRetries_AndImportsIdenticalBytes()
    {
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB + 3);
        await fixture.PutAsync(bucket, "big.bin", content);
        await fixture.DropConnectionsAsync(fixture.OutageOutlastingSdkRetries, after: 3);

        var (datasetId, jobId) = await GetAsync(bucket, "big.bin");

        var job = await FinishedAsync(jobId);
        var dataset = await User.WaitForDatasetAsync(datasetId, Slow);
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        Assert.True(job.GetProperty("attempts").GetInt32() > 1, $"The outage should have cost an attempt: {job}");
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        Assert.Equal(content, await User.GetByteArrayAsync($"/api/datasets/{datasetId}/display"));
        Assert.Empty(Directory.GetFiles(TempDir, "*.download"));
    }

    [Fact]
    public async Task Get_OfCorruptedObject_FailsVerification_DatasetError_AndNoTempLeft()
    {
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "small.bin", RandomNumberGenerator.GetBytes(MiB));
        await fixture.CorruptAsync(bucket, "small.bin");

        var (datasetId, jobId) = await GetAsync(bucket, "small.bin");

        var job = await FinishedAsync(jobId);
        var dataset = await User.WaitForDatasetAsync(datasetId, Slow);
        Assert.True(job.GetProperty("state").GetString() == "error", job.ToString());
        Assert.Contains("Verification", job.GetProperty("stderr").GetString());
        Assert.Equal("error", dataset.GetProperty("state").GetString());
        Assert.Contains("Verification", dataset.GetProperty("misc_info").GetString());
        var history = dataset.GetProperty("history_id").GetString();
        var contents = await User.GetFromJsonAsync<JsonElement>($"/api/histories/{history}/contents");
        Assert.DoesNotContain(contents.EnumerateArray(), c => c.GetProperty("state").GetString() == "ok");
        Assert.Empty(Directory.GetFiles(TempDir, $"job-*.download"));
    }

    [Fact]
    public async Task Get_OfCorruptedLargeObject_ReadInRanges_FailsVerification_AndNothingIsKept()
    {
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "big.bin", RandomNumberGenerator.GetBytes(12 * MiB + 5));
        await fixture.CorruptAsync(bucket, "big.bin");
        await fixture.ClearRequestsAsync();

        var (datasetId, jobId) = await GetAsync(bucket, "big.bin");

        var job = await FinishedAsync(jobId);
        Assert.True(job.GetProperty("state").GetString() == "error", job.ToString());
        Assert.Contains("Verification", job.GetProperty("stderr").GetString());
        Assert.Equal("error", (await User.WaitForDatasetAsync(datasetId, Slow)).GetProperty("state").GetString());
        // Every byte came through ranged reads (the streamed path), none through a whole-object read.
        var ranges = await fixture.ReadRangesAsync(bucket, "big.bin");
        Assert.True(ranges.Count >= 3, string.Join(", ", ranges));
        Assert.DoesNotContain("whole object", ranges);
        Assert.Empty(Directory.GetFiles(TempDir, "job-*.download"));
    }

    [Fact]
    public async Task Send_InterruptedBy503s_JobRetries_AndStoredObjectIsIdentical()
    {
        var bucket = await fixture.NewBucketAsync();
        // Azure: 3 blocks of 5 MiB; GCS: one resumable session of three 5 MiB chunks.
        var content = RandomNumberGenerator.GetBytes(12 * MiB + 5);
        var datasetId = await DatasetAsync(bucket, "source.bin", content);
        // The request's bucket check and the job's existence check of the key pass, then Azure: the block list passes and
        // three blocks in flight meet more 503s than they can absorb without one giving up; GCS: the session is started
        // (and checkpointed), then its upload meets them.
        await fixture.FailRequestsAsync(count: Math.Max(12, 3 * (fixture.SdkTriesPerRequest - 1) + 1), after: 3);

        var jobId = await SendAsync(datasetId, bucket, "copies/source.bin");

        var job = await FinishedAsync(jobId);
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        Assert.True(job.GetProperty("attempts").GetInt32() > 1, $"The 503s should have cost an attempt: {job}");
        await fixture.ClearFaultsAsync();
        Assert.Equal(content, await fixture.ReadAsync(bucket, "copies/source.bin"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), (await fixture.MetadataAsync(bucket, "copies/source.bin"))[fixture.Sha256MetadataKey]);
        Assert.Empty(await fixture.UncommittedPartsAsync(bucket, "copies/source.bin"));
        Assert.Equal(["copies/source.bin", "source.bin"], (await fixture.KeysAsync(bucket)).Order().ToArray());
    }

    [Fact]
    public async Task Send_CancelledMidUpload_LeavesNoObject_AndNoUncommittedParts()
    {
        var bucket = await fixture.NewBucketAsync();
        var datasetId = await DatasetAsync(bucket, "source.bin", RandomNumberGenerator.GetBytes(12 * MiB + 5));
        // The request's bucket check, the job's existence check of the key and the upload's start (Azure: the block list;
        // GCS: the session, checkpointed) pass, then the store keeps answering 503: the job is held mid-upload.
        await fixture.FailRequestsAsync(count: 10_000, after: 3);

        var jobId = await SendAsync(datasetId, bucket, "copies/source.bin");
        await Poll.UntilAsync(async () => await CheckpointAsync(jobId) is { } c && c.Contains("\"upload\":\"", StringComparison.OrdinalIgnoreCase), Slow,
            "the upload to be checkpointed");
        await Poll.UntilAsync(async () => (await User.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}")).GetProperty("state").GetString() == "running", Slow,
            "the job to be running");
        await GalaxyAssert.OkJsonAsync(await User.DeleteAsync($"/api/jobs/{jobId}"));
        await fixture.ClearFaultsAsync();

        // Judged once the worker (if it still ran the job) has finished undoing it, not while it may still be at it.
        var running = fixture.Server.Services.GetRequiredService<Skyport.Server.Jobs.RunningJobs>();
        var id = fixture.Server.Services.GetRequiredService<IdEncoder>().Decode(new EncodedId(jobId));
        await Poll.UntilAsync(() => Task.FromResult(!running.IsRunning(id)), Slow, "the cancelled job's worker to finish");
        Assert.Equal("deleted", (await User.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}")).GetProperty("state").GetString());
        Assert.Equal(["source.bin"], await fixture.KeysAsync(bucket));
        Assert.Empty(await fixture.UncommittedPartsAsync(bucket, "copies/source.bin"));
        // No part ever reached the store, so there was nothing to undo: the key never held an object, not even for a moment
        // (Azure's abort of staged blocks commits an empty blob and deletes it; with no staged block it must not).
        Assert.DoesNotContain(await fixture.UploadStepsAsync(bucket, "copies/source.bin"), s => s.Kind != UploadStepKind.Start && s.Succeeded);
    }
}

public sealed class AzureFaultTests(AzureFixture fixture) : ProviderFaultTests<AzureFixture>(fixture), IClassFixture<AzureFixture>;

public sealed class GcsFaultTests(GcsFixture fixture) : ProviderFaultTests<GcsFixture>(fixture), IClassFixture<GcsFixture>;
