using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skyport.Tests.Cli;
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
    private readonly string _dataDir = TempFolder.Create("skyport-crash");
    private readonly Uri _url = new($"http://127.0.0.1:{FreePort()}");
    private Process? _host;

    private TestCloud Cloud => fixture.Cloud;

    public Task InitializeAsync() => Cloud.ClearS3FaultsAsync();

    public async Task DisposeAsync()
    {
        Kill();
        await Cloud.ClearS3FaultsAsync();
    }

    [Fact]
    public async Task Get_ServerKilledMidDownload_ResumesAfterRestart_WithoutRefetchingFinishedParts()
    {
        await StartHostAsync();
        using var session = await fixture.SignInAsync(_url);
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB);
        await fixture.PutAsync(bucket, "big.bin", content);
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(1000));

        var (datasetId, jobId) = await session.GetAsync(bucket, "big.bin");
        await session.WaitForPartialProgressAsync(jobId, Slow);
        Kill();
        var done = (await CheckpointAsync()).GetProperty("done").EnumerateArray().Select(p => p.GetInt32()).ToHashSet();
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
        Assert.Empty(Directory.GetFiles(Path.Combine(_dataDir, "tmp")));
    }

    [Fact]
    public async Task Send_ServerKilledMidUpload_ResumesSameMultipartUpload_WithoutResendingFinishedParts()
    {
        await StartHostAsync();
        using var session = await fixture.SignInAsync(_url);
        var bucket = await fixture.NewBucketAsync();
        var content = RandomNumberGenerator.GetBytes(30 * MiB);
        await fixture.PutAsync(bucket, "source.bin", content);
        var (datasetId, _) = await session.GetAsync(bucket, "source.bin");
        Assert.Equal("ok", (await session.Http.WaitForDatasetAsync(datasetId, Slow)).GetProperty("state").GetString());
        await Cloud.DelayS3RequestsAsync(TimeSpan.FromMilliseconds(1000));

        var jobId = await session.SendAsync(datasetId, bucket, "copies/source.bin");
        await session.WaitForPartialProgressAsync(jobId, Slow);
        Kill();
        var checkpoint = await CheckpointAsync();
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

    private async Task StartHostAsync()
    {
        var settings = fixture.ServerSettings(new Dictionary<string, string>
        {
            ["Skyport:Jobs:LeaseSeconds"] = "2",
            ["Skyport:Jobs:Workers"] = "1",
            ["Skyport:Jobs:PollSeconds"] = "0.2",
            ["Skyport:Jobs:RetryBaseSeconds"] = "0.1",
        });
        var args = new List<string> { "serve", "--data-dir", _dataDir, "--urls", _url.ToString().TrimEnd('/') };
        args.AddRange(settings.Select(s => $"--{s.Key}={s.Value}"));
        _host = Process.Start(HostProcess.StartInfo([.. args]))!;
        _ = _host.StandardOutput.ReadToEndAsync();
        _ = _host.StandardError.ReadToEndAsync();
        using var probe = new HttpClient { BaseAddress = _url };
        await Poll.UntilAsync(async () =>
        {
            Assert.False(_host.HasExited, $"The server exited with {(_host.HasExited ? _host.ExitCode : 0)}.");
            try
            {
                return (await probe.GetAsync("/api/version")).IsSuccessStatusCode;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), $"the server to answer on {_url}");
    }

    /// <summary>SIGKILL: no shutdown code runs, as in a power cut.</summary>
    private void Kill()
    {
        if (_host is { HasExited: false })
        {
            _host.Kill(entireProcessTree: true);
            _host.WaitForExit(10_000);
        }
        _host?.Dispose();
        _host = null;
    }

    /// <summary>The single job's checkpoint as the killed server left it in the database.</summary>
    private async Task<JsonElement> CheckpointAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(_dataDir, "skyport.db")};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Checkpoint FROM jobs WHERE State = 'Running'";
        var json = (string?)await command.ExecuteScalarAsync();
        Assert.NotNull(json);
        return JsonDocument.Parse(json).RootElement.Clone();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
