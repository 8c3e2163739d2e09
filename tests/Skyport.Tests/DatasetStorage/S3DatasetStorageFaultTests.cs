using System.Net;
using Skyport.Tests.Infrastructure;
using Skyport.Tests.Uploads;

namespace Skyport.Tests.DatasetStorage;

/// <summary>
/// The dataset store failing while a dataset is committed: the dataset ends in error (never ok), and the bucket keeps
/// neither an object nor an unfinished multipart upload for it. Each test has its own server and bucket with one
/// attempt per job and one part at a time, so a fault during a commit is final and lands between known parts.
/// </summary>
[Collection(S3DatasetStoreCollection.Name)]
public sealed class S3DatasetStorageFaultTests(S3DatasetStoreFixture fixture) : IAsyncLifetime
{
    private const int MiB = 1 << 20;

    private SkyportServer? _server;
    private HttpClient? _user;
    private readonly string _bucket = $"faults-{Guid.NewGuid():N}"[..22];

    private HttpClient User => _user!;
    private TestCloud Cloud => fixture.Cloud;

    public async Task InitializeAsync()
    {
        await Cloud.CreateBucketAsync(_bucket);
        _server = await fixture.StartServerAsync(_bucket, new Dictionary<string, string?>
        {
            ["Skyport:Jobs:MaxAttempts"] = "1",
            ["Skyport:Transfers:PartConcurrency"] = "1",
        });
        _user = await _server.NewUserAsync();
    }

    public async Task DisposeAsync()
    {
        await Cloud.ClearS3FaultsAsync();
        await Cloud.AllowS3BucketAsync(_bucket);
        _user?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private async Task<bool> StoredAsync(string uuid)
    {
        try
        {
            await fixture.Store.GetObjectMetadataAsync(_bucket, S3DatasetStoreFixture.ObjectKey(uuid));
            return true;
        }
        catch (Amazon.S3.AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

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
        Assert.False(await StoredAsync(uuid));
        Assert.Empty(await Cloud.S3MultipartUploadsAsync(_bucket));
        Assert.Empty(Directory.GetFiles(Path.Combine(_server!.DataDir, "files"), "*", SearchOption.AllDirectories));
        var again = await GalaxyAssert.OkJsonAsync(await User.GetAsync($"/api/datasets/{id}"));
        Assert.Equal("error", again.GetProperty("state").GetString());
        await GalaxyAssert.ErrorAsync(await User.GetAsync($"/api/datasets/{id}/display"), HttpStatusCode.BadRequest, 0);
    }

    [Fact]
    public async Task Commit_RefusedByTheStore_LeavesTheDatasetInError_AndNoObject()
    {
        await Cloud.DenyS3BucketAsync(_bucket);

        var (id, jobId, uuid) = await StartUploadAsync(UploadRequests.RandomBytes(MiB, seed: 11));

        var dataset = await User.WaitForDatasetAsync(id, TimeSpan.FromSeconds(60));
        Assert.Contains("denied", dataset.GetProperty("misc_info").GetString(), StringComparison.OrdinalIgnoreCase);
        await Cloud.AllowS3BucketAsync(_bucket);
        await AssertFailedWithNothingStoredAsync(id, jobId, uuid);
    }

    [Fact]
    public async Task Commit_FailingMidMultipartUpload_AbortsIt_LeavesTheDatasetInError_AndNoObject()
    {
        var content = UploadRequests.RandomBytes(12 * MiB + 5, seed: 12);
        // Slow requests leave time to strike after the first part is in.
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(800));

        var (id, jobId, uuid) = await StartUploadAsync(content);
        var key = S3DatasetStoreFixture.ObjectKey(uuid);
        await WaitForAsync(async () => (await Cloud.S3RequestsAsync(_bucket, key)).Any(r => r.Operation == "UploadPart" && r.Succeeded));

        // More 503s than the SDK retries one request, so the commit fails; its clean-up outlasts the rest.
        await Cloud.FailS3RequestsAsync(S3Failure.SlowDown, requests: 8);

        await AssertFailedWithNothingStoredAsync(id, jobId, uuid);
        var requests = await Cloud.S3RequestsAsync(_bucket, key);
        Assert.Contains(requests, r => r.Fault == "error");
        Assert.Contains(requests, r => r.Operation == "AbortMultipartUpload" && r.Succeeded);
        Assert.DoesNotContain(requests, r => r.Operation == "CompleteMultipartUpload" && r.Succeeded);
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
