using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using Skyport.Tests.Identity;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>The GCS emulator (behind a front that requires tokens from the Google doubles), and a user with a keyless GCP authorization.</summary>
public sealed class GcsFixture : IAsyncLifetime, IStorageFixture
{
    private TestCloud? _cloud;
    private SkyportServer? _server;
    private SkyportLogin? _login;
    private StorageClient? _gcs;

    public TestCloud Cloud => _cloud!;
    public SkyportServer Server => _server!;
    public HttpClient User => _login!.Http;
    public string AuthzId { get; private set; } = "";
    public string Subject { get; } = $"gcs-user-{Guid.NewGuid():N}";
    public string Sha256MetadataKey => "skyport-sha256";
    public IReadOnlyList<string> OddKeys => ["dir/my file.txt", "données/é.txt", "a b/c+d=e.txt"];

    /// <summary>Resumable uploads move in 5 MiB chunks, so a 12 MiB object already takes three (the test cloud's front keeps every chunk).</summary>
    public const int ChunkMiB = 5;
    private readonly string _id = Guid.NewGuid().ToString("N")[..12];

    private string Audience => $"//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{_id}/providers/oidc-{_id}";
    private string ServiceAccount => $"sa-{_id}@lab-project.iam.gserviceaccount.com";

    public Dictionary<string, string?> ServerSettings()
    {
        var settings = StorageUser.Settings(Cloud);
        settings["Skyport:Jobs:RetryBaseSeconds"] = "1";
        settings["Skyport:Cloud:Gcp:StorageUrl"] = Cloud.Gcs.ToString();
        settings["Skyport:Cloud:Gcp:UploadChunkMiB"] = ChunkMiB.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return settings;
    }

    public (string Provider, object Config) Authorization => ("gcp", new { audience = Audience, service_account_email = ServiceAccount });

    public async Task InitializeAsync()
    {
        _cloud = await TestCloud.StartAsync();
        _server = await SkyportServer.StartAsync(ServerSettings());

        var id = _id;
        var audience = Audience;
        var serviceAccount = ServiceAccount;
        await _cloud.RegisterGooglePoolAsync(new GooglePool(audience, _cloud.Issuer, [TestCloud.ClientId]));
        await _cloud.RegisterGoogleServiceAccountAsync(serviceAccount,
            [$"principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{id}/subject/{Subject}"]);
        (_login, AuthzId) = await StorageUser.SignInWithAuthzAsync(_server, _cloud, Subject, Authorization.Provider, Authorization.Config);

        var credential = new ProgrammaticExternalAccountCredential(new ProgrammaticExternalAccountCredential.Initializer(
            new Uri(_cloud.GoogleSts, "/v1/token").ToString(), audience, "urn:ietf:params:oauth:token-type:jwt",
            new IdTokens(() => _cloud.MintIdTokenAsync(new OidcClaims(Sub: Subject, Email: $"{Subject}@example.org"))))
        {
            ServiceAccountImpersonationUrl = new Uri(_cloud.GoogleIam, $"/v1/projects/-/serviceAccounts/{serviceAccount}:generateAccessToken").ToString(),
            Scopes = ["https://www.googleapis.com/auth/devstorage.read_write"],
        });
        _gcs = new StorageClientBuilder { BaseUri = _cloud.Gcs.ToString(), Credential = credential }.Build();
    }

    /// <summary>The emulator creates buckets on first use.</summary>
    public Task<string> NewBucketAsync() => Task.FromResult($"b{Guid.NewGuid():N}"[..20]);

    public async Task PutAsync(string bucket, string key, byte[] bytes) =>
        await _gcs!.UploadObjectAsync(bucket, key, "application/octet-stream", new MemoryStream(bytes), new UploadObjectOptions { ChunkSize = 64 << 20 });

    public async Task<byte[]> ReadAsync(string bucket, string key)
    {
        using var buffer = new MemoryStream();
        await _gcs!.DownloadObjectAsync(bucket, key, buffer);
        return buffer.ToArray();
    }

    public async Task<List<string>> KeysAsync(string bucket)
    {
        var keys = new List<string>();
        await foreach (var o in _gcs!.ListObjectsAsync(bucket))
        {
            keys.Add(o.Name);
        }
        return keys;
    }

    public async Task<IReadOnlyDictionary<string, string>> MetadataAsync(string bucket, string key) =>
        (await _gcs!.GetObjectAsync(bucket, key)).Metadata?.ToDictionary() ?? [];

    /// <summary>Google.Apis' message handler: 3 tries, backing off on 503.</summary>
    public int SdkTriesPerRequest => 3;

    public Task FailRequestsAsync(int count, int after) => Cloud.FailGcsRequestsAsync(Infrastructure.StorageFailure.ServiceUnavailable, count, after);

    public Task FailPartUploadsAsync(int count, int after) => Cloud.FailGcsRequestsAsync(Infrastructure.StorageFailure.ServiceUnavailable, count, after, ["UploadChunk"]);

    public Task DropConnectionsAsync(TimeSpan duration, int after) => Cloud.DropGcsConnectionsAsync(duration: duration, after: after);

    public Task CorruptAsync(string bucket, string key) => Cloud.CorruptGcsObjectAsync(bucket, key);

    public Task ClearFaultsAsync() => Cloud.ClearGcsFaultsAsync();

    public Task DelayRequestsAsync(TimeSpan delay) => Cloud.DelayGcsRequestsAsync(delay);

    public Task ClearRequestsAsync() => Cloud.ClearGcsRequestsAsync();

    public async Task<IReadOnlyList<string>> ReadRangesAsync(string bucket, string key) =>
        (await Cloud.GcsRequestsAsync(bucket, key)).Where(r => r.Operation == "DownloadObject").Select(r => r.Range ?? "whole object").ToList();

    /// <summary>Chunks are parts (named by their byte range); the chunk that completes the session also commits.</summary>
    public async Task<IReadOnlyList<UploadStep>> UploadStepsAsync(string bucket, string key) =>
        (await Cloud.GcsRequestsAsync(bucket, key)).SelectMany(r => r.Operation switch
        {
            "InitiateResumableUpload" => [new UploadStep(UploadStepKind.Start, null, r.Succeeded)],
            "UploadChunk" when r.Status is >= 200 and < 300 => [new UploadStep(UploadStepKind.Part, ChunkRange(r.ContentRange), true), new UploadStep(UploadStepKind.Commit, null, true)],
            "UploadChunk" => [new UploadStep(UploadStepKind.Part, ChunkRange(r.ContentRange), r.Succeeded)],
            "InsertObject" => [new UploadStep(UploadStepKind.Commit, null, r.Succeeded)],
            _ => Array.Empty<UploadStep>(),
        }).ToList();

    /// <summary>The whole chunks within the bytes the unfinished session has received.</summary>
    public async Task<IReadOnlySet<string>> HeldPartsAsync(string bucket, string key)
    {
        var sessions = await Cloud.GcsUploadsAsync(bucket, key);
        var session = sessions.Count(u => u.Status == "active") == 1 ? sessions.Single(u => u.Status == "active")
            : throw new Xunit.Sdk.XunitException($"Expected one active upload session of {bucket}/{key}: {string.Join(", ", sessions)}; all: {string.Join(", ", await Cloud.GcsUploadsAsync(bucket, null))}");
        const long chunk = ChunkMiB * 1024L * 1024;
        return Enumerable.Range(0, (int)(session.Size / chunk)).Select(i => $"{i * chunk}-{(i + 1) * chunk - 1}").ToHashSet();
    }

    /// <summary>The key's resumable upload sessions that are neither finished nor cancelled.</summary>
    public async Task<IReadOnlyList<string>> UncommittedPartsAsync(string bucket, string key) =>
        (await Cloud.GcsUploadsAsync(bucket, key)).Where(u => u.Status == "active").Select(u => $"session {u.UploadId} ({u.Size} bytes)").ToList();

    /// <summary>"bytes a-b/total" as "a-b".</summary>
    private static string? ChunkRange(string? contentRange) => contentRange?.Replace("bytes ", "", StringComparison.Ordinal).Split('/')[0];

    public async Task DisposeAsync()
    {
        _login?.Dispose();
        _gcs?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }

    private sealed class IdTokens(Func<Task<string>> mint) : ProgrammaticExternalAccountCredential.ISubjectTokenProvider
    {
        public Task<string> GetSubjectTokenAsync(ProgrammaticExternalAccountCredential caller, CancellationToken taskCancellationToken) => mint();
    }
}
