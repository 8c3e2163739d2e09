using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Google;
using Google.Apis.Auth.OAuth2;
using Google.Cloud.Storage.V1;
using Skyport.Tests.Infrastructure;
using Cloud = Skyport.Tests.Infrastructure.TestCloud;

namespace Skyport.Tests.TestDoubles;

/// <summary>
/// The GCS emulator in the test cloud, driven as Skyport drives Google Cloud Storage: an access token from the
/// Google STS and IAM doubles (workload identity federation, service account impersonation) through Google.Apis.Auth.
/// Each test works in a bucket of its own.
/// </summary>
public sealed class GcsEmulatorTests(TestCloudFixture fixture) : IClassFixture<TestCloudFixture>, IAsyncLifetime
{
    private const string StorageScope = "https://www.googleapis.com/auth/devstorage.read_write";
    private const int KiB = 1024;
    private readonly Cloud _cloud = fixture.Cloud;
    private readonly string _bucket = $"skyport-{Guid.NewGuid():N}";
    private ProgrammaticExternalAccountCredential _credential = null!;
    private StorageClient _gcs = null!;

    public async Task InitializeAsync()
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var audience = $"//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{id}/providers/oidc-{id}";
        await _cloud.RegisterGooglePoolAsync(new GooglePool(audience, _cloud.Issuer));
        var serviceAccount = $"skyport-{id}@skyport-test.iam.gserviceaccount.com";
        await _cloud.RegisterGoogleServiceAccountAsync(serviceAccount, [$"principalSet://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{id}/*"]);
        _credential = new ProgrammaticExternalAccountCredential(new ProgrammaticExternalAccountCredential.Initializer(
            new Uri(_cloud.GoogleSts, "/v1/token").ToString(), audience, "urn:ietf:params:oauth:token-type:jwt",
            new IdTokens(() => _cloud.MintIdTokenAsync(new OidcClaims(Sub: "alice", Aud: $"https:{audience}"))))
        {
            Scopes = [StorageScope],
            ServiceAccountImpersonationUrl = new Uri(_cloud.GoogleIam, $"/v1/projects/-/serviceAccounts/{serviceAccount}:generateAccessToken").ToString(),
        });
        _gcs = ClientWith(_credential);
    }

    public async Task DisposeAsync()
    {
        await _cloud.ClearGcsFaultsAsync();
        _gcs.Dispose();
    }

    [Fact]
    public async Task Upload_InOneMediaRequest_ReadsBackWithMd5AndCrc32c()
    {
        var content = RandomBytes(5000);
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_cloud.Gcs, $"/upload/storage/v1/b/{_bucket}/o?uploadType=media&name=one%20shot.bin"))
        {
            Content = new ByteArrayContent(content) { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await _credential.GetAccessTokenForRequestAsync());

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stored = await _gcs.GetObjectAsync(_bucket, "one shot.bin");
        Assert.Equal((ulong)content.Length, stored.Size);
        Assert.Equal(Convert.ToBase64String(MD5.HashData(content)), stored.Md5Hash);
        Assert.Equal((await _cloud.PutGcsObjectAsync(_bucket, "same.bin", content)).Crc32c, stored.Crc32c);
        Assert.Equal(content, await ReadAsync("one shot.bin"));
    }

    [Fact]
    public async Task UploadObject_ResumableWithChunkAtLeastTheObjectSize_ReadsBackByteIdentical()
    {
        var content = RandomBytes(3 * 1024 * KiB + 123);
        var options = new UploadObjectOptions { ChunkSize = 4 * 1024 * KiB }; // the emulator keeps only the first chunk

        var uploaded = await _gcs.UploadObjectAsync(_bucket, "big/data.bin", "application/octet-stream", new MemoryStream(content), options);

        Assert.Equal(Convert.ToBase64String(MD5.HashData(content)), uploaded.Md5Hash);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await ReadAsync("big/data.bin")));
    }

    [Fact]
    public async Task UploadObject_ResumableInSeveralChunks_KeepsEveryChunk()
    {
        var content = RandomBytes(2 * UploadObjectOptions.MinimumChunkSize + 10);
        var options = new UploadObjectOptions { ChunkSize = UploadObjectOptions.MinimumChunkSize };

        await _gcs.UploadObjectAsync(_bucket, "chunked.bin", "application/octet-stream", new MemoryStream(content), options);

        // The bare emulator finalizes a session at its first PUT; the test cloud's front serves chunks as GCS does.
        Assert.Equal((ulong)content.Length, (await _gcs.GetObjectAsync(_bucket, "chunked.bin")).Size);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await ReadAsync("chunked.bin")));
        var chunks = (await _cloud.GcsRequestsAsync(_bucket, "chunked.bin")).Where(r => r.Operation == "UploadChunk").ToList();
        Assert.Equal([308, 308, 200], chunks.Select(c => c.Status));
        Assert.Equal("final", Assert.Single(await _cloud.GcsUploadsAsync(_bucket, "chunked.bin")).Status);
    }

    [Fact]
    public async Task ResumableSession_AnswersHowMuchItHolds_AndIsCancelledByDelete()
    {
        var session = await _gcs.InitiateUploadSessionAsync(new Google.Apis.Storage.v1.Data.Object { Bucket = _bucket, Name = "cancelled.bin" }, 1 << 20);
        using var http = new HttpClient();
        using (var chunk = new ByteArrayContent(RandomBytes(UploadObjectOptions.MinimumChunkSize)))
        {
            chunk.Headers.ContentRange = new System.Net.Http.Headers.ContentRangeHeaderValue(0, UploadObjectOptions.MinimumChunkSize - 1, 1 << 20);
            Assert.Equal(308, (int)(await http.PutAsync(session, chunk)).StatusCode);
        }
        using (var query = new ByteArrayContent([]))
        {
            query.Headers.ContentRange = new System.Net.Http.Headers.ContentRangeHeaderValue(1 << 20);
            using var answer = await http.PutAsync(session, query);
            Assert.Equal(308, (int)answer.StatusCode);
            Assert.Equal($"bytes=0-{UploadObjectOptions.MinimumChunkSize - 1}", Assert.Single(answer.Headers.GetValues("Range")));
        }

        Assert.Equal(499, (int)(await http.DeleteAsync(session)).StatusCode);

        Assert.Equal("cancelled", Assert.Single(await _cloud.GcsUploadsAsync(_bucket, "cancelled.bin")).Status);
        Assert.Equal(["InitiateResumableUpload", "UploadChunk", "QueryUpload", "CancelUpload"],
            (await _cloud.GcsRequestsAsync(_bucket, "cancelled.bin")).Select(r => r.Operation));
    }

    [Fact]
    public async Task DownloadObject_WithRange_ReturnsThatSlice()
    {
        var content = RandomBytes(10_000);
        await _cloud.PutGcsObjectAsync(_bucket, "ranged.bin", content);
        using var slice = new MemoryStream();

        await _gcs.DownloadObjectAsync(_bucket, "ranged.bin", slice, new DownloadObjectOptions
        {
            Range = new RangeHeaderValue(1000, 4999),
            DownloadValidationMode = DownloadValidationMode.Never, // a partial body cannot match the whole object's hash
        });

        Assert.Equal(content[1000..5000], slice.ToArray());
    }

    [Fact]
    public async Task GetObject_GivesMd5Crc32cAndCustomMetadata()
    {
        var content = RandomBytes(4321);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        var stored = await _cloud.PutGcsObjectAsync(_bucket, "meta.bin", content, "application/x-test", new Dictionary<string, string> { ["sha256"] = sha256 });

        var got = await _gcs.GetObjectAsync(_bucket, "meta.bin");

        Assert.Equal(4321UL, got.Size);
        Assert.Equal("application/x-test", got.ContentType);
        Assert.Equal(Convert.ToBase64String(MD5.HashData(content)), got.Md5Hash);
        Assert.Equal((stored.Md5Hash, stored.Crc32c), (got.Md5Hash, got.Crc32c));
        Assert.Equal(4, Convert.FromBase64String(got.Crc32c).Length);
        Assert.Equal(sha256, got.Metadata["sha256"]);
    }

    [Fact]
    public async Task PatchObject_CustomMetadata_IsReadBack()
    {
        await _cloud.PutGcsObjectAsync(_bucket, "patched.bin", [1, 2, 3]);
        var obj = await _gcs.GetObjectAsync(_bucket, "patched.bin");
        obj.Metadata = new Dictionary<string, string> { ["origin"] = "skyport" };

        await _gcs.PatchObjectAsync(obj);

        Assert.Equal("skyport", (await _gcs.GetObjectAsync(_bucket, "patched.bin")).Metadata["origin"]);
    }

    [Fact]
    public async Task ListObjects_WithPrefixAndDelimiter_GroupsPrefixes()
    {
        foreach (var name in new[] { "data/a/1.txt", "data/a/2.txt", "data/b/1.txt", "data/top.txt", "other.txt" })
        {
            await _cloud.PutGcsObjectAsync(_bucket, name, Encoding.UTF8.GetBytes(name));
        }

        var pages = new List<Google.Apis.Storage.v1.Data.Objects>();
        await foreach (var page in _gcs.ListObjectsAsync(_bucket, "data/", new ListObjectsOptions { Delimiter = "/" }).AsRawResponses())
        {
            pages.Add(page);
        }

        Assert.Equal(["data/a/", "data/b/"], pages.SelectMany(p => p.Prefixes ?? []));
        Assert.Equal(["data/top.txt"], pages.SelectMany(p => p.Items ?? []).Select(o => o.Name));
    }

    [Fact]
    public async Task ListObjects_WithSmallPageSize_PagesThroughPageTokens()
    {
        var names = Enumerable.Range(1, 5).Select(i => $"paged/{i:D2}.txt").ToList();
        foreach (var name in names.Append("unrelated.txt"))
        {
            await _cloud.PutGcsObjectAsync(_bucket, name, [1]);
        }

        var pages = new List<List<string>>();
        await foreach (var page in _gcs.ListObjectsAsync(_bucket, "paged/", new ListObjectsOptions { PageSize = 2 }).AsRawResponses())
        {
            pages.Add((page.Items ?? []).Select(o => o.Name).ToList());
        }

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(names, pages.SelectMany(p => p));
    }

    [Fact]
    public async Task DeleteObject_ThenGet_Answers404()
    {
        await _cloud.PutGcsObjectAsync(_bucket, "dir/gone soon.txt", [1]);

        await _gcs.DeleteObjectAsync(_bucket, "dir/gone soon.txt");

        var error = await Assert.ThrowsAsync<GoogleApiException>(() => _gcs.GetObjectAsync(_bucket, "dir/gone soon.txt"));
        Assert.Equal(HttpStatusCode.NotFound, error.HttpStatusCode);
    }

    [Fact]
    public async Task Request_WithTokenNeverIssued_Answers401()
    {
        await _cloud.PutGcsObjectAsync(_bucket, "k", [1]);
        using var gcs = ClientWith(GoogleCredential.FromAccessToken("ya29.never-issued"));

        var error = await Assert.ThrowsAsync<GoogleApiException>(() => gcs.GetObjectAsync(_bucket, "k"));

        Assert.Equal(HttpStatusCode.Unauthorized, error.HttpStatusCode);
        Assert.Contains("Invalid Credentials", error.Message);
    }

    [Fact]
    public async Task Request_WithoutToken_Answers401()
    {
        await _cloud.PutGcsObjectAsync(_bucket, "k", [1]);
        using var gcs = new StorageClientBuilder { BaseUri = _cloud.Gcs.ToString(), UnauthenticatedAccess = true }.Build();

        var error = await Assert.ThrowsAsync<GoogleApiException>(() => gcs.GetObjectAsync(_bucket, "k"));

        Assert.Equal(HttpStatusCode.Unauthorized, error.HttpStatusCode);
    }

    [Fact]
    public async Task CorruptedObject_KeepsMd5AndCrc32c_ButItsBytesNoLongerMatch()
    {
        var content = RandomBytes(3000);
        var stored = await _cloud.PutGcsObjectAsync(_bucket, "rotten.bin", content);

        var offset = await _cloud.CorruptGcsObjectAsync(_bucket, "rotten.bin");

        using var read = new MemoryStream();
        await _gcs.DownloadObjectAsync(_bucket, "rotten.bin", read, new DownloadObjectOptions { DownloadValidationMode = DownloadValidationMode.Never });
        var got = await _gcs.GetObjectAsync(_bucket, "rotten.bin");
        Assert.Equal((stored.Md5Hash, stored.Crc32c, 3000UL), (got.Md5Hash, got.Crc32c, got.Size));
        Assert.NotEqual(got.Md5Hash, Convert.ToBase64String(MD5.HashData(read.ToArray())));
        Assert.Equal((byte)(content[offset] ^ 0xff), read.ToArray()[offset]);
    }

    [Fact]
    public async Task CorruptedObject_DownloadedWithValidation_FailsTheHashCheck()
    {
        await _cloud.PutGcsObjectAsync(_bucket, "rotten.bin", RandomBytes(3000));
        await _cloud.CorruptGcsObjectAsync(_bucket, "rotten.bin", offset: 0);

        var error = await Record.ExceptionAsync(() => _gcs.DownloadObjectAsync(_bucket, "rotten.bin", new MemoryStream(),
            new DownloadObjectOptions { DownloadValidationMode = DownloadValidationMode.Always }));

        Assert.IsType<IOException>(error);
    }

    [Fact]
    public async Task DroppedConnections_ForSomeSeconds_FailTheRequest_ThenServiceResumes()
    {
        await _cloud.PutGcsObjectAsync(_bucket, "k", [1, 2, 3]);
        await _cloud.DropGcsConnectionsAsync(duration: TimeSpan.FromSeconds(30));

        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        Assert.True(error is HttpRequestException or IOException, $"unexpected {error}");
        await _cloud.ClearGcsFaultsAsync();
        Assert.Equal([1, 2, 3], await ReadAsync("k"));
    }

    [Fact]
    public async Task DroppedConnections_AfterSomeRequests_HitOnlyTheLaterOnes()
    {
        await _cloud.PutGcsObjectAsync(_bucket, "k", [7]);
        await _cloud.DropGcsConnectionsAsync(duration: TimeSpan.FromSeconds(30), after: 2);

        Assert.Equal([7], await ReadAsync("k"));
        Assert.Equal([7], await ReadAsync("k"));
        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        Assert.True(error is HttpRequestException or IOException, $"unexpected {error}");
    }

    [Fact]
    public async Task RefusedConnections_FailTheRequest_UntilTheListenerReopens()
    {
        await _cloud.PutGcsObjectAsync(_bucket, "k", [9]);
        await _cloud.RefuseGcsConnectionsAsync(TimeSpan.FromSeconds(3));

        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        var refused = error as HttpRequestException ?? error?.InnerException as HttpRequestException;
        Assert.True(refused?.HttpRequestError == HttpRequestError.ConnectionError, $"unexpected {error}");
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.Equal([9], await ReadAsync("k"));
    }

    [Theory]
    [InlineData(StorageFailure.ServiceUnavailable, HttpStatusCode.ServiceUnavailable)]
    [InlineData(StorageFailure.InternalError, HttpStatusCode.InternalServerError)]
    public async Task InjectedErrors_BeyondTheSdkRetries_SurfaceWithTheirStatus(StorageFailure failure, HttpStatusCode status)
    {
        await _cloud.PutGcsObjectAsync(_bucket, "k", [1]);
        await _cloud.FailGcsRequestsAsync(failure, requests: 50);

        var error = await Assert.ThrowsAsync<GoogleApiException>(() => _gcs.GetObjectAsync(_bucket, "k"));

        Assert.Equal(status, error.HttpStatusCode);
        Assert.Equal("backendError", error.Error?.Errors?.Single().Reason);
    }

    // BaseUri must be the emulator's root: the client appends storage/v1/, upload/storage/v1/ and download/storage/v1/.
    private StorageClient ClientWith(ICredential credential) =>
        new StorageClientBuilder { BaseUri = _cloud.Gcs.ToString(), Credential = credential }.Build();

    private async Task<byte[]> ReadAsync(string name)
    {
        using var buffer = new MemoryStream();
        await _gcs.DownloadObjectAsync(_bucket, name, buffer);
        return buffer.ToArray();
    }

    private static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);

    private sealed class IdTokens(Func<Task<string>> mint) : ProgrammaticExternalAccountCredential.ISubjectTokenProvider
    {
        public Task<string> GetSubjectTokenAsync(ProgrammaticExternalAccountCredential caller, CancellationToken taskCancellationToken) => mint();
    }
}
