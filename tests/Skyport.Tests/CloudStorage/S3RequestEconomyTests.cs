using System.Net.Http.Json;
using System.Security.Cryptography;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// Small objects move in as few requests as verification allows, since with many small objects every round trip
/// counts: a get job fetches the object in one GET (the size, ETag and metadata of that very answer vouch for the
/// bytes, so no HEAD first), and a send is one PUT whose ETag is checked against the dataset's MD5 (no HEAD after).
/// The emulator's request log shows exactly what reached the store.
/// </summary>
public sealed class S3RequestEconomyTests(TransferCloudFixture fixture) : IClassFixture<TransferCloudFixture>
{
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task SmallObject_GetIsOneWholeGet_AndSendIsOneVerifiedPut()
    {
        await using var server = await SkyportServer.StartAsync(fixture.ServerSettings());
        using var session = await fixture.SignInAsync(server.BaseAddress);
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(100_000);
        await fixture.PutAsync(bucket, "small.bin", content);

        var (datasetId, jobId) = await session.GetAsync(bucket, "small.bin");
        Assert.Equal("ok", (await session.Http.WaitForJobAsync(jobId, Slow)).GetProperty("state").GetString());
        Assert.Equal(content, await session.ContentAsync(datasetId));
        var fetched = await fixture.Cloud.S3RequestsAsync(bucket, "small.bin");
        // The test's own upload, the request's check (a HEAD, answered before the job was queued), then the job's single whole-object GET.
        Assert.Equal(["PutObject", "HeadObject", "GetObject"], fetched.Select(r => r.Operation));
        Assert.Null(fetched[2].Range);

        var target = await fixture.NewBucketAsync();
        var sendJob = await session.SendAsync(datasetId, target, "small.bin");
        var sent = await session.Http.WaitForJobAsync(sendJob, Slow);
        Assert.Equal("ok", sent.GetProperty("state").GetString());
        Assert.Equal(content, await fixture.ReadAsync(target, "small.bin"));
        var put = await fixture.Cloud.S3RequestsAsync(target, "small.bin");
        // overwrite_existing: no existence check; the PUT's ETag (the store's MD5 of what it stored) is the verification.
        // (The test's own read-back above is the GetObject after it.)
        Assert.Equal(["PutObject", "GetObject"], put.Select(r => r.Operation));
        // A small body follows its headers at once, without waiting for "100 Continue" (a round trip per object).
        Assert.Null(put[0].Expect);
    }

    [Fact]
    public async Task GetOfAPrefix_ListsTheBucketOnce_AndReadsEachObjectOnce()
    {
        // rclone's way: one listing, then one GET per object. The listing also answers for the bucket (a check of its own
        // would be a second listing, which s3rver, like some stores, serves by scanning the bucket).
        await using var server = await SkyportServer.StartAsync(fixture.ServerSettings());
        using var session = await fixture.SignInAsync(server.BaseAddress);
        var bucket = await fixture.NewBucketAsync();
        foreach (var name in new[] { "run/a.bin", "run/b.bin", "run/c.bin", "other/d.bin" })
        {
            await fixture.PutAsync(bucket, name, RandomNumberGenerator.GetBytes(2_000));
        }

        var queued = await GalaxyAssert.OkJsonAsync(await session.Http.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = await session.Http.CreateHistoryAsync(), authz_id = session.AuthzId, bucket, prefix = "run/" }));
        foreach (var dataset in queued.EnumerateArray())
        {
            Assert.Equal("ok", (await session.Http.WaitForDatasetAsync(dataset.GetProperty("id").GetString()!, Slow)).GetProperty("state").GetString());
        }

        var requests = await fixture.Cloud.S3RequestsAsync(bucket);
        Assert.Single(requests, r => r.Operation == "GETBucket");
        // Besides the test's own uploads, only one GET per object: no HEADs.
        Assert.Equal(["run/a.bin", "run/b.bin", "run/c.bin"], requests.Where(r => r.Key is not null && r.Operation != "PutObject").Select(r => $"{r.Operation} {r.Key}").Order()
            .Select(r => r.Replace("GetObject ", "", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task SinglePutOfMoreThanOneMiB_StillWaitsFor100Continue()
    {
        // Below the multipart threshold (16 MiB) but large enough that a refused request should not carry its body.
        await using var server = await SkyportServer.StartAsync(fixture.ServerSettings());
        using var session = await fixture.SignInAsync(server.BaseAddress);
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes((2 << 20) + 1);
        await fixture.PutAsync(bucket, "medium.bin", content);
        var (datasetId, jobId) = await session.GetAsync(bucket, "medium.bin");
        Assert.Equal("ok", (await session.Http.WaitForJobAsync(jobId, Slow)).GetProperty("state").GetString());

        var target = await fixture.NewBucketAsync();
        var sendJob = await session.SendAsync(datasetId, target, "medium.bin");
        Assert.Equal("ok", (await session.Http.WaitForJobAsync(sendJob, Slow)).GetProperty("state").GetString());
        Assert.Equal(content, await fixture.ReadAsync(target, "medium.bin"));
        var put = Assert.Single(await fixture.Cloud.S3RequestsAsync(target, "medium.bin"), r => r.Operation == "PutObject");
        Assert.Equal("100-continue", put.Expect);
    }

    [Fact]
    public async Task SmallObject_GetRefusedByTheStore_FailsWithTheStoresOwnReason_AtOnce()
    {
        // The job's GET is Skyport's own (presigned) request: the store's error document still names what went wrong, and a
        // refusal is final (no retries), as it was through the SDK.
        await using var server = await SkyportServer.StartAsync(fixture.ServerSettings(new Dictionary<string, string> { ["Skyport:Jobs:Workers"] = "0" }));
        using var session = await fixture.SignInAsync(server.BaseAddress);
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "refused.bin", RandomNumberGenerator.GetBytes(5_000));
        var (datasetId, jobId) = await session.GetAsync(bucket, "refused.bin");
        await fixture.Cloud.DenyS3BucketAsync(bucket);
        try
        {
            await using var worker = await SkyportServer.StartAsync(fixture.ServerSettings(), server.DataDir);
            var job = await session.Http.WaitForJobAsync(jobId, Slow);
            Assert.Equal("error", job.GetProperty("state").GetString());
            Assert.Equal(1, job.GetProperty("attempts").GetInt32());
            Assert.Contains($"Access to {bucket}/refused.bin was denied (AccessDenied: Access Denied)", job.GetProperty("stderr").GetString());
            Assert.Equal("error", (await session.DatasetAsync(datasetId)).GetProperty("state").GetString());
        }
        finally
        {
            await fixture.Cloud.AllowS3BucketAsync(bucket);
        }
    }

    [Fact]
    public async Task SmallObject_SendRefusedByTheStore_FailsWithTheStoresOwnReason_AtOnce_AndLeavesNothing()
    {
        // The small PUT is Skyport's own (presigned) request too: a refusal reads as the store's reason and is final.
        await using var server = await SkyportServer.StartAsync(fixture.ServerSettings(new Dictionary<string, string> { ["Skyport:Jobs:Workers"] = "0" }));
        using var session = await fixture.SignInAsync(server.BaseAddress);
        var source = await fixture.NewBucketAsync();
        await fixture.PutAsync(source, "out.bin", RandomNumberGenerator.GetBytes(5_000));
        var (datasetId, getJob) = await session.GetAsync(source, "out.bin");
        await using (await SkyportServer.StartAsync(fixture.ServerSettings(), server.DataDir))
        {
            Assert.Equal("ok", (await session.Http.WaitForJobAsync(getJob, Slow)).GetProperty("state").GetString());
        }
        var target = await fixture.NewBucketAsync();
        var sendJob = await session.SendAsync(datasetId, target, "out.bin");
        await fixture.Cloud.DenyS3BucketAsync(target);
        try
        {
            await using var worker = await SkyportServer.StartAsync(fixture.ServerSettings(), server.DataDir);
            var job = await session.Http.WaitForJobAsync(sendJob, Slow);
            Assert.Equal("error", job.GetProperty("state").GetString());
            Assert.Equal(1, job.GetProperty("attempts").GetInt32());
            Assert.Contains($"Access to {target}/out.bin was denied (AccessDenied: Access Denied)", job.GetProperty("stderr").GetString());
        }
        finally
        {
            await fixture.Cloud.AllowS3BucketAsync(target);
        }
        Assert.DoesNotContain(await fixture.Cloud.S3RequestsAsync(target, "out.bin"), r => r.Operation == "PutObject" && r.Succeeded);
    }

    [Fact]
    public async Task SmallObject_ReplacedAfterTheRequestWasChecked_ImportsTheBytesItWasSent_Verified()
    {
        // The job trusts nothing from the request's check but the size class: the answer to its GET describes the bytes.
        await using var server = await SkyportServer.StartAsync(fixture.ServerSettings(new Dictionary<string, string> { ["Skyport:Jobs:Workers"] = "0" }));
        using var session = await fixture.SignInAsync(server.BaseAddress);
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "moving.txt", "first version\n"u8.ToArray());
        var (datasetId, jobId) = await session.GetAsync(bucket, "moving.txt");
        var replacement = RandomNumberGenerator.GetBytes(70_000);
        await fixture.PutAsync(bucket, "moving.txt", replacement);

        await using var worker = await SkyportServer.StartAsync(fixture.ServerSettings(), server.DataDir);
        Assert.Equal("ok", (await session.Http.WaitForJobAsync(jobId, Slow)).GetProperty("state").GetString());
        Assert.Equal(replacement, await session.ContentAsync(datasetId));
        var dataset = await session.DatasetAsync(datasetId);
        Assert.Equal(replacement.Length, dataset.GetProperty("file_size").GetInt64());
    }
}
