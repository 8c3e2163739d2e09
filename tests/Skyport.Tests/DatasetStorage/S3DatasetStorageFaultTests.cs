using System.Net;
using Skyport.Tests.Infrastructure;
using Skyport.Tests.Uploads;

namespace Skyport.Tests.DatasetStorage;

/// <summary>One attempt per job and one part at a time, so a fault during a commit is final and lands between known parts.</summary>
public sealed class S3DatasetStoreFaultFixture : S3DatasetStoreFixture
{
    protected override IReadOnlyDictionary<string, string?> ExtraSettings => new Dictionary<string, string?>
    {
        ["Skyport:Jobs:MaxAttempts"] = "1",
        ["Skyport:Transfers:PartConcurrency"] = "1",
    };
}

/// <summary>
/// The dataset store failing while a dataset is committed: the dataset ends in error (never ok), and the bucket keeps
/// neither an object nor an unfinished multipart upload for it.
/// </summary>
public sealed class S3DatasetStorageFaultTests(S3DatasetStoreFaultFixture fixture) : IClassFixture<S3DatasetStoreFaultFixture>
{
    private const int MiB = 1 << 20;

    private HttpClient User => fixture.User;
    private TestCloud Cloud => fixture.Cloud;

    private async Task<(string Id, string JobId, string Uuid)> StartUploadAsync(byte[] content)
    {
        var history = await User.CreateHistoryAsync();
        var session = await User.UploadTusAsync(content, 4 * MiB);
        var (id, jobId) = Assert.Single(await User.FetchAsync(UploadRequests.FetchFromSession(history, session, "data.bin", ext: "data")));
        var dataset = await GalaxyAssert.OkJsonAsync(await User.GetAsync($"/api/datasets/{id}"));
        return (id, jobId, dataset.GetProperty("uuid").GetString()!);
    }

    private async Task AssertFailedWithNothingStoredAsync(string id, string jobId, string uuid)
    {
        var dataset = await User.WaitForDatasetAsync(id, TimeSpan.FromSeconds(90));
        var job = await User.WaitForJobAsync(jobId, TimeSpan.FromSeconds(30));
        await Cloud.ClearS3FaultsAsync();
        Assert.True(dataset.GetProperty("state").GetString() == "error", dataset.ToString());
        Assert.Contains("Storing the dataset failed", dataset.GetProperty("misc_info").GetString());
        Assert.Equal("error", job.GetProperty("state").GetString());
        Assert.Null(await fixture.HeadStoredAsync(uuid));
        Assert.Empty(await Cloud.S3MultipartUploadsAsync(fixture.DatasetBucket));
        Assert.Empty(Directory.GetFiles(Path.Combine(fixture.Server.DataDir, "files"), "*", SearchOption.AllDirectories));
        var again = await GalaxyAssert.OkJsonAsync(await User.GetAsync($"/api/datasets/{id}"));
        Assert.Equal("error", again.GetProperty("state").GetString());
        await GalaxyAssert.ErrorAsync(await User.GetAsync($"/api/datasets/{id}/display"), HttpStatusCode.BadRequest, 0);
    }

    [Fact]
    public async Task Commit_RefusedByTheStore_LeavesTheDatasetInError_AndNoObject()
    {
        await Cloud.DenyS3BucketAsync(fixture.DatasetBucket);
        try
        {
            var (id, jobId, uuid) = await StartUploadAsync(UploadRequests.RandomBytes(MiB, seed: 11));

            var dataset = await User.WaitForDatasetAsync(id, TimeSpan.FromSeconds(60));
            Assert.Contains("denied", dataset.GetProperty("misc_info").GetString(), StringComparison.OrdinalIgnoreCase);
            await Cloud.AllowS3BucketAsync(fixture.DatasetBucket);
            await AssertFailedWithNothingStoredAsync(id, jobId, uuid);
        }
        finally
        {
            await Cloud.AllowS3BucketAsync(fixture.DatasetBucket);
        }
    }

    [Fact]
    public async Task Commit_FailingMidMultipartUpload_AbortsIt_LeavesTheDatasetInError_AndNoObject()
    {
        var content = UploadRequests.RandomBytes(12 * MiB + 5, seed: 12);
        // Slow requests leave time to strike after the first part is in.
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(800));
        try
        {
            var (id, jobId, uuid) = await StartUploadAsync(content);
            var key = S3DatasetStoreFixture.ObjectKey(uuid);
            await WaitForAsync(async () => (await Cloud.S3RequestsAsync(fixture.DatasetBucket, key)).Any(r => r.Operation == "UploadPart" && r.Succeeded));

            // More 503s than the SDK retries one request, so the commit fails; its clean-up outlasts the rest.
            await Cloud.FailS3RequestsAsync(S3Failure.SlowDown, requests: 8);

            await AssertFailedWithNothingStoredAsync(id, jobId, uuid);
            var requests = await Cloud.S3RequestsAsync(fixture.DatasetBucket, key);
            Assert.Contains(requests, r => r.Fault == "error");
            Assert.Contains(requests, r => r.Operation == "AbortMultipartUpload" && r.Succeeded);
            Assert.DoesNotContain(requests, r => r.Operation == "CompleteMultipartUpload" && r.Succeeded);
        }
        finally
        {
            await Cloud.ClearS3FaultsAsync();
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "Timed out waiting for the store to see a finished part.");
            await Task.Delay(50);
        }
    }
}
