using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// The real server as a child process, killed with SIGKILL in the middle of a transfer and started again on the same
/// data folder: the job is taken over once its lease runs out and finishes from its checkpoint, fetching or sending
/// only the parts that were not finished (the emulator's request log shows which), with byte-identical results.
/// </summary>
public sealed class TransferCrashTests(TransferCloudFixture fixture) : IClassFixture<TransferCloudFixture>, IAsyncLifetime
{
    private const int MiB = 1024 * 1024;
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(120);
    private readonly ChildServer _server = new();

    private TestCloud Cloud => fixture.Cloud;

    public Task InitializeAsync() => Cloud.ClearS3FaultsAsync();

    public async Task DisposeAsync()
    {
        _server.Dispose();
        await Cloud.ClearS3FaultsAsync();
    }

    [Fact]
    public async Task Get_ServerKilledMidDownload_ResumesAfterRestart_WithoutRefetchingFinishedParts()
    {
        await StartHostAsync();
        using var session = await fixture.SignInAsync(_server.Url);
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB);
        await fixture.PutAsync(bucket, "big.bin", content);
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(1000));

        var (datasetId, jobId) = await session.GetAsync(bucket, "big.bin");
        await session.WaitForPartialProgressAsync(jobId, Slow);
        _server.Kill();
        var done = (await _server.CheckpointAsync()).GetProperty("done").EnumerateArray().Select(p => p.GetInt32()).ToHashSet();
        Assert.InRange(done.Count, 1, 5);
        await Cloud.ClearS3FaultsAsync();
        await Cloud.ClearS3RequestsAsync();
        await StartHostAsync();

        var dataset = await session.Http.WaitForDatasetAsync(datasetId, Slow);
        // The dataset turns ok a moment before the runner records the job's outcome.
        var job = await session.Http.WaitForJobAsync(jobId, Slow);
        Assert.True(dataset.GetProperty("state").GetString() == "ok", dataset.ToString());
        Assert.Equal(content, await session.ContentAsync(datasetId));
        Assert.Equal("ok", job.GetProperty("state").GetString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        var fetched = (await Cloud.S3RequestsAsync(bucket, "big.bin")).Where(r => r.Operation == "GetObject").Select(r => r.Range ?? "whole object").ToList();
        var missing = Enumerable.Range(0, 6).Where(p => !done.Contains(p)).Select(p => $"bytes={p * 5L * MiB}-{(p + 1) * 5L * MiB - 1}").ToList();
        Assert.Equal(missing.Order(StringComparer.Ordinal).ToList(), fetched.Order(StringComparer.Ordinal).ToList());
        Assert.Empty(Directory.GetFiles(Path.Combine(_server.DataDir, "tmp")));
    }

    [Fact]
    public async Task Send_ServerKilledMidUpload_ResumesSameMultipartUpload_WithoutResendingFinishedParts()
    {
        await StartHostAsync();
        using var session = await fixture.SignInAsync(_server.Url);
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB);
        await fixture.PutAsync(bucket, "source.bin", content);
        var (datasetId, _) = await session.GetAsync(bucket, "source.bin");
        Assert.Equal("ok", (await session.Http.WaitForDatasetAsync(datasetId, Slow)).GetProperty("state").GetString());
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(1000));

        var jobId = await session.SendAsync(datasetId, bucket, "copies/source.bin");
        await session.WaitForPartialProgressAsync(jobId, Slow);
        _server.Kill();
        var checkpoint = await _server.CheckpointAsync();
        Assert.Equal("copies/source.bin", checkpoint.GetProperty("final_key").GetString());
        using var upload = JsonDocument.Parse(checkpoint.GetProperty("upload").GetString()!);
        var uploadId = upload.RootElement.GetProperty("UploadId").GetString();
        var sent = upload.RootElement.GetProperty("Parts").EnumerateObject().Select(p => int.Parse(p.Name, CultureInfo.InvariantCulture)).ToHashSet();
        Assert.InRange(sent.Count, 1, 5);
        await Cloud.ClearS3FaultsAsync();
        await Cloud.ClearS3RequestsAsync();
        await StartHostAsync();

        var job = await session.Http.WaitForJobAsync(jobId, Slow);
        Assert.True(job.GetProperty("state").GetString() == "ok", job.ToString());
        Assert.Equal(2, job.GetProperty("attempts").GetInt32());
        Assert.Equal(content, await fixture.ReadAsync(bucket, "copies/source.bin"));
        var requests = await Cloud.S3RequestsAsync(bucket, "copies/source.bin");
        Assert.DoesNotContain(requests, r => r.Operation == "CreateMultipartUpload");
        var parts = requests.Where(r => r.Operation == "UploadPart").ToList();
        Assert.All(parts, p => Assert.Equal(uploadId, p.UploadId));
        Assert.Equal(Enumerable.Range(1, 6).Where(n => !sent.Contains(n)).ToList(), parts.Select(p => p.PartNumber!.Value).Order().ToList());
        Assert.Single(requests, r => r.Operation == "CompleteMultipartUpload" && r.Succeeded);
        Assert.Empty(await Cloud.S3MultipartUploadsAsync(bucket));
        Assert.Equal(["copies/source.bin", "source.bin"], (await fixture.KeysAsync(bucket)).Order().ToArray());
    }

    private Task StartHostAsync() => _server.StartAsync(ChildServer.CrashSettings(fixture.ServerSettings()));
}
