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
/// The test cloud with its S3 emulator, a Skyport server pointed at it, and one user who logged in through
/// the OIDC provider and registered an AWS authorization for the emulator. <see cref="S3"/> is a direct
/// client with the same role's temporary keys, for setting buckets up and checking what Skyport wrote.
/// </summary>
public sealed class S3Fixture : IAsyncLifetime, IStorageFixture
{
    private TestCloud? _cloud;
    private SkyportServer? _server;
    private SkyportLogin? _login;
    private IAmazonS3? _s3;

    public TestCloud Cloud => _cloud!;
    public SkyportServer Server => _server!;
    public HttpClient User => _login!.Http;
    public IAmazonS3 S3 => _s3!;
    public string AuthzId { get; private set; } = "";
    public string Subject { get; } = $"s3-user-{Guid.NewGuid():N}";
    public string RoleArn { get; } = "arn:aws:iam::123456789012:role/skyport-transfers";
    public LogCapture Logs { get; } = new();
    public string Sha256MetadataKey => "skyport-sha256";
    public IReadOnlyList<string> OddKeys => ["dir/my file.txt", "données/é.txt", "../escape.txt", "a/../../b.txt"];

    public Dictionary<string, string?> ServerSettings() => StorageUser.Settings(Cloud);

    public (string Provider, object Config) Authorization => ("aws", new { role_arn = RoleArn, endpoint = Cloud.S3.ToString(), region = "us-east-1" });

    public async Task InitializeAsync()
    {
        _cloud = await TestCloud.StartAsync();
        _server = await SkyportServer.StartAsync(ServerSettings(), configure: Logs.AddTo);
        await _cloud.RegisterAwsRoleAsync(new AwsRole(RoleArn, _cloud.Issuer, TestCloud.ClientId, Subject, 43200));
        (_login, AuthzId) = await StorageUser.SignInWithAuthzAsync(_server, _cloud, Subject, Authorization.Provider, Authorization.Config);
        _s3 = await DirectClientAsync();
    }

    /// <summary>An S3 client holding the role's temporary keys, obtained from the STS double like Skyport does.</summary>
    public Task<IAmazonS3> DirectClientAsync() => DirectS3.ClientAsync(Cloud, Subject, RoleArn);

    public Task<string> NewBucketAsync() => S3.NewBucketAsync('b');

    public Task PutAsync(string bucket, string key, byte[] bytes) => S3.PutBytesAsync(bucket, key, bytes);

    public Task<byte[]> ReadAsync(string bucket, string key) => S3.ReadBytesAsync(bucket, key);

    public Task<IReadOnlyDictionary<string, string>> MetadataAsync(string bucket, string key) => S3.MetadataAsync(bucket, key);

    public Task<List<string>> KeysAsync(string bucket) => S3.KeysAsync(bucket);

    public Task FailRequestsAsync(int count, int after) => Cloud.FailS3RequestsAsync(S3Failure.SlowDown, count, after);

    public Task FailPartUploadsAsync(int count, int after) => Cloud.FailS3RequestsAsync(S3Failure.SlowDown, count, after, ["UploadPart"]);

    public Task ClearFaultsAsync() => Cloud.ClearS3FaultsAsync();

    public Task DelayRequestsAsync(TimeSpan delay) => Cloud.DelayS3RequestsAsync(delay);

    public Task ClearRequestsAsync() => Cloud.ClearS3RequestsAsync();

    public async Task<IReadOnlyList<string>> ReadRangesAsync(string bucket, string key) =>
        (await Cloud.S3RequestsAsync(bucket, key)).Where(r => r.Operation == "GetObject").Select(r => r.Range ?? "whole object").ToList();

    /// <summary>Multipart parts are parts (named by part number); CompleteMultipartUpload and a single PUT commit.</summary>
    public async Task<IReadOnlyList<UploadStep>> UploadStepsAsync(string bucket, string key) =>
        (await Cloud.S3RequestsAsync(bucket, key)).Select(r => r.Operation switch
        {
            "CreateMultipartUpload" => new UploadStep(UploadStepKind.Start, null, r.Succeeded),
            "UploadPart" => new UploadStep(UploadStepKind.Part, r.PartNumber?.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Succeeded),
            "CompleteMultipartUpload" or "PutObject" => new UploadStep(UploadStepKind.Commit, null, r.Succeeded),
            _ => null,
        }).OfType<UploadStep>().ToList();

    /// <summary>The parts the store took for the key's one open multipart upload, as its request log shows them.</summary>
    public async Task<IReadOnlySet<string>> HeldPartsAsync(string bucket, string key)
    {
        var upload = Assert.Single(await Cloud.S3MultipartUploadsAsync(bucket), u => u.Key == key);
        return (await Cloud.S3RequestsAsync(bucket, key)).Where(r => r.Operation == "UploadPart" && r.Succeeded && r.UploadId == upload.UploadId)
            .Select(r => r.PartNumber!.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
    }

    public async Task<IReadOnlySet<string>> ResumablePartsAsync(string bucket, string key, System.Text.Json.JsonElement checkpoint)
    {
        var upload = System.Text.Json.JsonDocument.Parse(checkpoint.GetProperty("upload").GetString()!).RootElement;
        var recorded = upload.GetProperty("Parts").EnumerateObject().Select(p => p.Name).ToHashSet();
        return (await HeldPartsAsync(bucket, key)).Where(recorded.Contains).ToHashSet();
    }

    /// <summary>The key's multipart uploads that were neither completed nor aborted.</summary>
    public async Task<IReadOnlyList<string>> UncommittedPartsAsync(string bucket, string key) =>
        (await Cloud.S3MultipartUploadsAsync(bucket)).Where(u => u.Key == key).Select(u => $"multipart upload {u.UploadId}").ToList();

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        _login?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }
}
