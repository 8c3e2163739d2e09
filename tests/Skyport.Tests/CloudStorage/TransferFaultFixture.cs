using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage.S3;
using Skyport.Tests.Identity;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// The test cloud with one OIDC subject trusted by one AWS role, and a direct S3 client for setting buckets up and
/// checking what Skyport wrote. Servers (in-process or child processes) are started by the tests with the settings
/// each case needs; <see cref="SignInAsync"/> logs a session in to any of them and registers the AWS authorization.
/// </summary>
public sealed class TransferCloudFixture : IAsyncLifetime
{
    private TestCloud? _cloud;
    private IAmazonS3? _s3;

    public TestCloud Cloud => _cloud!;
    public IAmazonS3 S3 => _s3!;
    public string Subject { get; } = $"fault-user-{Guid.NewGuid():N}";
    public string RoleArn { get; } = "arn:aws:iam::123456789012:role/skyport-faults";

    public async Task InitializeAsync()
    {
        _cloud = await TestCloud.StartAsync();
        await _cloud.SetClaimsAsync(new OidcClaims(Sub: Subject, Email: $"{Subject}@example.org"));
        await _cloud.RegisterAwsRoleAsync(new AwsRole(RoleArn, _cloud.Issuer, TestCloud.ClientId, Subject, 43200));
        _s3 = await DirectS3.ClientAsync(_cloud, Subject, RoleArn, durationSeconds: 43200);
    }

    /// <summary>
    /// Settings of a Skyport server on this cloud: OIDC and STS as in <see cref="IdentityFixture.Settings"/>, 5 MiB parts
    /// moved one at a time (so "the parts finished before the fault" is well defined), and <paramref name="extra"/> on top.
    /// </summary>
    public Dictionary<string, string?> ServerSettings(IReadOnlyDictionary<string, string>? extra = null)
    {
        var settings = IdentityFixture.Settings(Cloud);
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Skyport:Transfers:PartSizeMiB"] = "5";
        settings["Skyport:Transfers:MultipartThresholdMiB"] = "5";
        settings["Skyport:Transfers:PartConcurrency"] = "1";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }
        return settings;
    }

    /// <summary>Logs in through the OIDC provider (as <see cref="SkyportLogin"/> does, at any address) and registers an AWS authorization for the emulator.</summary>
    public Task<TransferSession> SignInAsync(Uri baseAddress) =>
        StorageUser.SignInAtAsync(baseAddress, "aws", new { role_arn = RoleArn, endpoint = Cloud.S3.ToString(), region = "us-east-1" });

    public Task<string> NewBucketAsync() => S3.NewBucketAsync('f');

    public Task PutAsync(string bucket, string key, byte[] bytes) => S3.PutBytesAsync(bucket, key, bytes);

    public Task<byte[]> ReadAsync(string bucket, string key) => S3.ReadBytesAsync(bucket, key);

    public Task<List<string>> KeysAsync(string bucket) => S3.KeysAsync(bucket);

    /// <summary>Polls the emulator's request log until <paramref name="enough"/> of <paramref name="operation"/> on the key have succeeded.</summary>
    public async Task WaitForSucceededAsync(string bucket, string key, string operation, int enough, TimeSpan? timeout = null)
    {
        await Poll.UntilAsync(async () => (await Cloud.S3RequestsAsync(bucket, key)).Count(r => r.Operation == operation && r.Succeeded) >= enough,
            timeout ?? TimeSpan.FromSeconds(60), $"{enough} successful {operation} requests on {bucket}/{key}");
    }

    /// <summary>
    /// Until the emulator has received <paramref name="enough"/> requests of <paramref name="operation"/>, answered or not. A
    /// request counts as succeeded once the emulator has handed its whole answer to the socket, which can be before
    /// Skyport has read it: with one part at a time, the request for the next part is what shows that the last one landed.
    /// </summary>
    public async Task WaitForReceivedAsync(string bucket, string key, string operation, int enough, TimeSpan? timeout = null)
    {
        await Poll.UntilAsync(async () => (await Cloud.S3RequestsAsync(bucket, key)).Count(r => r.Operation == operation) >= enough,
            timeout ?? TimeSpan.FromSeconds(60), $"{enough} {operation} requests received on {bucket}/{key}");
    }

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }
}

/// <summary>A logged-in session on one Skyport server, with the AWS authorization it registered.</summary>
public sealed class TransferSession(HttpClient http, string authzId) : IDisposable
{
    public HttpClient Http { get; } = http;
    public string AuthzId { get; } = authzId;

    /// <summary>Queues a get of one object into a new history; returns the dataset's and its job's ids.</summary>
    public async Task<(string DatasetId, string JobId)> GetAsync(string bucket, string key)
    {
        var (history, datasetIds) = await QueueGetAsync(bucket, [key]);
        var jobs = await Http.GetFromJsonAsync<JsonElement>($"/api/jobs?history_id={history}");
        return (Assert.Single(datasetIds), Assert.Single(jobs.EnumerateArray()).GetProperty("id").GetString()!);
    }

    /// <summary>Queues one get of several objects into a new history; returns the datasets' ids, in the objects' order.</summary>
    public async Task<string[]> GetManyAsync(string bucket, IReadOnlyList<string> keys) => (await QueueGetAsync(bucket, keys)).DatasetIds;

    private async Task<(string HistoryId, string[] DatasetIds)> QueueGetAsync(string bucket, IReadOnlyList<string> keys)
    {
        var history = await Http.CreateHistoryAsync();
        var queued = await GalaxyAssert.OkJsonAsync(await Http.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = history, authz_id = AuthzId, bucket, objects = keys }));
        return (history, queued.EnumerateArray().Select(d => d.GetProperty("id").GetString()!).ToArray());
    }

    /// <summary>Queues a send of one dataset to <paramref name="key"/>; returns the job id.</summary>
    public async Task<string> SendAsync(string datasetId, string bucket, string key)
    {
        var dataset = await Http.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        var history = dataset.GetProperty("history_id").GetString();
        var prefix = key.Contains('/') ? key[..(key.LastIndexOf('/') + 1)] : "";
        var response = await GalaxyAssert.OkJsonAsync(await Http.PostAsJsonAsync("/api/cloud/storage/send",
            new { history_id = history, authz_id = AuthzId, bucket, dataset_ids = new[] { datasetId }, key_prefix = prefix, overwrite_existing = "true" }));
        var label = JsonDocument.Parse(Assert.Single(response.GetProperty("sent_dataset_labels").EnumerateArray()).GetString()!).RootElement;
        Assert.Equal(key, label.GetProperty("object").GetString());
        return label.GetProperty("job_id").GetString()!;
    }

    public async Task<JsonElement> JobAsync(string jobId) => await Http.GetFromJsonAsync<JsonElement>($"/api/jobs/{jobId}");

    public async Task<JsonElement> DatasetAsync(string datasetId) => await Http.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");

    public async Task<byte[]> ContentAsync(string datasetId) => await Http.GetByteArrayAsync($"/api/datasets/{datasetId}/display");

    /// <summary>Waits until the job's recorded progress is strictly between nothing and everything.</summary>
    public async Task WaitForPartialProgressAsync(string jobId, TimeSpan timeout)
    {
        await Poll.UntilAsync(async () =>
        {
            var progress = (await JobAsync(jobId)).GetProperty("progress");
            var done = progress.GetProperty("bytes_done").GetInt64();
            return progress.GetProperty("bytes_total") is { ValueKind: JsonValueKind.Number } total && done > 0 && done < total.GetInt64();
        }, timeout, $"job {jobId} to be part-way");
    }

    public void Dispose() => Http.Dispose();
}

/// <summary>Bounded polling of a state; the failure names what was awaited.</summary>
public static class Poll
{
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Waited {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s for {what}.");
            }
            await Task.Delay(100);
        }
    }
}
