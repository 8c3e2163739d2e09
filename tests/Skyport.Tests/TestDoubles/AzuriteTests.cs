using System.Net;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Skyport.Tests.Infrastructure;
using Cloud = Skyport.Tests.Infrastructure.TestCloud;

namespace Skyport.Tests.TestDoubles;

/// <summary>
/// Azurite's blob service in the test cloud, driven as Skyport drives Azure Blob Storage: a bearer token from the Entra
/// double through Azure.Identity. Each test works in a container of its own.
/// </summary>
public sealed class AzuriteTests(TestCloudFixture fixture) : IClassFixture<TestCloudFixture>, IAsyncLifetime
{
    private const string Secret = "s3cret~value";
    private readonly Cloud _cloud = fixture.Cloud;
    private readonly string _container = $"skyport-{Guid.NewGuid():N}";
    private readonly string _tenant = Guid.NewGuid().ToString();
    private readonly string _client = Guid.NewGuid().ToString();
    private ClientSecretCredential _credential = null!;
    private BlobContainerClient _blobs = null!;

    public async Task InitializeAsync()
    {
        await _cloud.RegisterEntraAppAsync(new EntraApp(_tenant, _client, ClientSecret: Secret));
        _credential = new ClientSecretCredential(_tenant, _client, Secret,
            new ClientSecretCredentialOptions { AuthorityHost = _cloud.Entra, DisableInstanceDiscovery = true });
        _blobs = ServiceFor(_credential).GetBlobContainerClient(_container);
        await _cloud.CreateAzureContainerAsync(_container);
    }

    public Task DisposeAsync() => _cloud.ClearAzureFaultsAsync();

    [Fact]
    public async Task CreateContainer_WithEntraBearerToken_Succeeds()
    {
        var container = ServiceFor(_credential).GetBlobContainerClient($"made-{Guid.NewGuid():N}");

        var created = await container.CreateAsync();

        Assert.Equal(201, created.GetRawResponse().Status);
        Assert.True(await container.ExistsAsync());
    }

    [Fact]
    public async Task StageBlocksInParallel_ThenCommitBlockList_ReadsBackByteIdentical()
    {
        const int blockSize = 1024 * 1024;
        var content = RandomBytes(5 * blockSize + 4321);
        var blob = _blobs.GetBlockBlobClient("big/data.bin");
        var ids = Enumerable.Range(0, (content.Length + blockSize - 1) / blockSize)
            .Select(i => Convert.ToBase64String(Encoding.ASCII.GetBytes($"block-{i:D6}"))).ToList();

        await Task.WhenAll(ids.Select((id, i) =>
        {
            var offset = i * blockSize;
            var length = Math.Min(blockSize, content.Length - offset);
            return blob.StageBlockAsync(id, new MemoryStream(content, offset, length), new BlockBlobStageBlockOptions
            {
                TransferValidation = new() { ChecksumAlgorithm = Azure.Storage.StorageChecksumAlgorithm.MD5 },
            });
        }));
        var uncommitted = (await blob.GetBlockListAsync(BlockListTypes.Uncommitted)).Value.UncommittedBlocks.Select(b => b.Name).ToHashSet();
        await blob.CommitBlockListAsync(ids);

        Assert.Equal(ids.ToHashSet(), uncommitted);
        Assert.Equal(SHA256.HashData(content), SHA256.HashData((await blob.DownloadContentAsync()).Value.Content.ToArray()));
    }

    [Fact]
    public async Task Download_WithRange_ReturnsThatSlice()
    {
        var content = RandomBytes(10_000);
        await _cloud.PutAzureBlobAsync(_container, "ranged.bin", content);

        var response = await _blobs.GetBlobClient("ranged.bin").DownloadStreamingAsync(new BlobDownloadOptions { Range = new HttpRange(1000, 4000) });
        var slice = await ReadAllAsync(response.Value.Content);

        Assert.Equal(206, response.GetRawResponse().Status);
        Assert.Equal("bytes 1000-4999/10000", response.Value.Details.ContentRange);
        Assert.Equal(content[1000..5000], slice);
    }

    [Fact]
    public async Task GetBlobsByHierarchy_WithPrefixAndDelimiter_GroupsVirtualDirectories()
    {
        foreach (var name in new[] { "data/a/1.txt", "data/a/2.txt", "data/b/1.txt", "data/top.txt", "other.txt" })
        {
            await _cloud.PutAzureBlobAsync(_container, name, Encoding.UTF8.GetBytes(name));
        }

        var items = new List<BlobHierarchyItem>();
        await foreach (var item in _blobs.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Prefix = "data/", Delimiter = "/" }))
        {
            items.Add(item);
        }

        Assert.Equal(["data/a/", "data/b/"], items.Where(i => i.IsPrefix).Select(i => i.Prefix));
        var blob = Assert.Single(items, i => i.IsBlob).Blob;
        Assert.Equal(("data/top.txt", (long?)Encoding.UTF8.GetByteCount("data/top.txt")), (blob.Name, blob.Properties.ContentLength));
    }

    [Fact]
    public async Task GetBlobs_WithSmallPageSize_PagesThroughContinuationTokens()
    {
        var names = Enumerable.Range(1, 5).Select(i => $"paged/{i:D2}.txt").ToList();
        foreach (var name in names.Append("unrelated.txt"))
        {
            await _cloud.PutAzureBlobAsync(_container, name, [1]);
        }

        var pages = new List<List<string>>();
        await foreach (var page in _blobs.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Prefix = "paged/" }).AsPages(pageSizeHint: 2))
        {
            pages.Add(page.Values.Select(i => i.Blob.Name).ToList());
        }

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(names, pages.SelectMany(p => p));
    }

    [Fact]
    public async Task Metadata_SetThenRead_RoundTripsWithContentMd5()
    {
        var content = RandomBytes(4321);
        var stored = await _cloud.PutAzureBlobAsync(_container, "meta.bin", content, contentType: "application/x-test");
        var blob = _blobs.GetBlobClient("meta.bin");
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));

        await blob.SetMetadataAsync(new Dictionary<string, string> { ["sha256"] = sha256 });
        var properties = (await blob.GetPropertiesAsync()).Value;

        Assert.Equal(sha256, properties.Metadata["sha256"]);
        Assert.Equal(4321, properties.ContentLength);
        Assert.Equal("application/x-test", properties.ContentType);
        Assert.Equal(MD5.HashData(content), properties.ContentHash);
        Assert.Equal(Convert.ToBase64String(MD5.HashData(content)), stored.ContentMd5);
    }

    [Fact]
    public async Task DeleteBlob_ThroughAdmin_RemovesIt()
    {
        await _cloud.PutAzureBlobAsync(_container, "dir/gone soon.txt", [1, 2]);

        await _cloud.DeleteAzureBlobAsync(_container, "dir/gone soon.txt");

        Assert.False(await _blobs.GetBlobClient("dir/gone soon.txt").ExistsAsync());
    }

    [Fact]
    public async Task Token_ForAnotherAudience_IsRefusedWithAuthenticationFailed()
    {
        var management = await _credential.GetTokenAsync(new TokenRequestContext(["https://management.azure.com/.default"]), CancellationToken.None);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => ContainerWith(management.Token).GetPropertiesAsync());

        Assert.Equal((403, "AuthenticationFailed"), (error.Status, error.ErrorCode));
        Assert.Contains("Invalid token audience.", error.Message);
    }

    [Fact]
    public async Task Token_Expired_IsRefusedWithAuthenticationFailed()
    {
        var expired = await _cloud.MintEntraAccessTokenAsync(_tenant, _client, expiresIn: -60);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => ContainerWith(expired).GetPropertiesAsync());

        Assert.Equal((403, "AuthenticationFailed"), (error.Status, error.ErrorCode));
        Assert.Contains("The token is expired.", error.Message);
    }

    [Fact]
    public async Task Token_NotSignedByEntra_IsRefusedWithAuthenticationFailed()
    {
        var token = await _credential.GetTokenAsync(new TokenRequestContext(["https://storage.azure.com/.default"]), CancellationToken.None);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => ContainerWith(Cloud.TamperSignature(token.Token)).GetPropertiesAsync());

        Assert.Equal((403, "AuthenticationFailed"), (error.Status, error.ErrorCode));
        Assert.Contains("Signature validation failed", error.Message);
    }

    [Fact]
    public async Task CorruptedBlob_KeepsSizeAndContentMd5_ButItsBytesNoLongerMatch()
    {
        var content = RandomBytes(3000);
        await _cloud.PutAzureBlobAsync(_container, "rotten.bin", content);

        var offset = await _cloud.CorruptAzureBlobAsync(_container, "rotten.bin");

        var download = (await _blobs.GetBlobClient("rotten.bin").DownloadContentAsync()).Value;
        var read = download.Content.ToArray();
        Assert.Equal(MD5.HashData(content), download.Details.ContentHash);
        Assert.Equal(content.Length, read.Length);
        Assert.NotEqual(download.Details.ContentHash, MD5.HashData(read));
        Assert.Equal((byte)(content[offset] ^ 0xff), read[offset]);
    }

    [Fact]
    public async Task CorruptedBlob_OfCommittedBlocks_FlipsTheByteInTheRightBlock()
    {
        var content = RandomBytes(3 * 1024);
        var blob = _blobs.GetBlockBlobClient("blocks.bin");
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(Convert.ToBase64String(Encoding.ASCII.GetBytes($"b{i}")));
            await blob.StageBlockAsync(ids[^1], new MemoryStream(content, i * 1024, 1024));
        }
        await blob.CommitBlockListAsync(ids);

        await _cloud.CorruptAzureBlobAsync(_container, "blocks.bin", offset: 2048 + 5);

        var read = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal((byte)(content[2053] ^ 0xff), read[2053]);
        Assert.Equal(content[..2053], read[..2053]);
        Assert.Equal(content[2054..], read[2054..]);
    }

    [Fact]
    public async Task DroppedConnections_ForLongerThanTheSdkRetries_FailTheRequest_ThenServiceResumes()
    {
        await _cloud.PutAzureBlobAsync(_container, "k", [1, 2, 3]);
        await _cloud.DropAzureConnectionsAsync(duration: TimeSpan.FromSeconds(30));

        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        Assert.True(error is AggregateException or RequestFailedException { Status: 0 }, $"unexpected {error}");
        await _cloud.ClearAzureFaultsAsync();
        Assert.Equal([1, 2, 3], await ReadAsync("k"));
    }

    [Fact]
    public async Task DroppedConnection_Once_IsRetriedBySdk()
    {
        await _cloud.PutAzureBlobAsync(_container, "k", [4]);
        await _cloud.DropAzureConnectionsAsync(requests: 1);

        Assert.Equal([4], await ReadAsync("k"));
    }

    [Fact]
    public async Task DroppedConnections_AfterSomeRequests_HitOnlyTheLaterOnes()
    {
        await _cloud.PutAzureBlobAsync(_container, "k", [7]);
        await _cloud.DropAzureConnectionsAsync(duration: TimeSpan.FromSeconds(30), after: 2);

        Assert.Equal([7], await ReadAsync("k"));
        Assert.Equal([7], await ReadAsync("k"));
        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        Assert.NotNull(error);
        Assert.False(error is RequestFailedException { Status: > 0 }, $"unexpected {error}");
    }

    [Fact]
    public async Task RefusedConnections_FailTheRequest_UntilTheListenerReopens()
    {
        await _cloud.PutAzureBlobAsync(_container, "k", [9]);
        await _cloud.RefuseAzureConnectionsAsync(TimeSpan.FromSeconds(3));

        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        var refused = Flatten(error).OfType<HttpRequestException>().FirstOrDefault();
        Assert.True(refused?.HttpRequestError == HttpRequestError.ConnectionError, $"unexpected {error}");
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.Equal([9], await ReadAsync("k"));
    }

    [Theory]
    [InlineData(StorageFailure.ServiceUnavailable, 503, "ServerBusy")]
    [InlineData(StorageFailure.InternalError, 500, "InternalError")]
    public async Task InjectedErrors_BeyondTheSdkRetries_SurfaceWithAzuresCode(StorageFailure failure, int status, string code)
    {
        await _cloud.PutAzureBlobAsync(_container, "k", [1]);
        await _cloud.FailAzureRequestsAsync(failure, requests: 20);

        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        var last = Flatten(error).OfType<RequestFailedException>().LastOrDefault();
        Assert.True(last is not null, $"unexpected {error}");
        Assert.Equal((status, code), (last.Status, last.ErrorCode));
    }

    [Fact]
    public async Task InjectedServerBusy_Once_IsRetriedBySdk()
    {
        await _cloud.PutAzureBlobAsync(_container, "k", [5]);
        await _cloud.FailAzureRequestsAsync(StorageFailure.ServiceUnavailable, requests: 1);

        Assert.Equal([5], await ReadAsync("k"));
    }

    private BlobServiceClient ServiceFor(TokenCredential credential) => new(_cloud.AzureBlob, credential, new BlobClientOptions
    {
        // Quick retries, so that fault tests outlast them in seconds.
        Retry = { MaxRetries = 2, Delay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1), NetworkTimeout = TimeSpan.FromSeconds(20) },
    });

    private BlobContainerClient ContainerWith(string token) =>
        ServiceFor(DelegatedTokenCredential.Create((_, _) => new AccessToken(token, DateTimeOffset.UtcNow.AddMinutes(5)))).GetBlobContainerClient(_container);

    private async Task<byte[]> ReadAsync(string name) => (await _blobs.GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray();

    private static IEnumerable<Exception> Flatten(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            yield return e;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
                {
                    yield return inner;
                }
                yield break;
            }
        }
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static byte[] RandomBytes(int length) => RandomNumberGenerator.GetBytes(length);
}
