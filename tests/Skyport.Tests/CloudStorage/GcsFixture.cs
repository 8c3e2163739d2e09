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

    public async Task InitializeAsync()
    {
        _cloud = await TestCloud.StartAsync();
        var settings = StorageUser.Settings(_cloud);
        settings["Skyport:Jobs:RetryBaseSeconds"] = "1";
        settings["Skyport:Cloud:Gcp:StorageUrl"] = _cloud.Gcs.ToString();
        // The emulator keeps only the first chunk of a resumable upload: one chunk must hold the whole object.
        settings["Skyport:Cloud:Gcp:UploadChunkMiB"] = "64";
        _server = await SkyportServer.StartAsync(settings);

        var id = Guid.NewGuid().ToString("N")[..12];
        var audience = $"//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{id}/providers/oidc-{id}";
        var serviceAccount = $"sa-{id}@lab-project.iam.gserviceaccount.com";
        await _cloud.RegisterGooglePoolAsync(new GooglePool(audience, _cloud.Issuer, [TestCloud.ClientId]));
        await _cloud.RegisterGoogleServiceAccountAsync(serviceAccount,
            [$"principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{id}/subject/{Subject}"]);
        (_login, AuthzId) = await StorageUser.SignInWithAuthzAsync(_server, _cloud, Subject, "gcp",
            new { audience, service_account_email = serviceAccount });

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

    public Task DropConnectionsAsync(TimeSpan duration, int after) => Cloud.DropGcsConnectionsAsync(duration: duration, after: after);

    public Task CorruptAsync(string bucket, string key) => Cloud.CorruptGcsObjectAsync(bucket, key);

    public Task ClearFaultsAsync() => Cloud.ClearGcsFaultsAsync();

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
