using Microsoft.Extensions.Options;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.DatasetStorage;

/// <summary>Bad dataset storage settings stop the server with a message naming the key, never echoing a secret.</summary>
public sealed class DatasetStorageConfigurationTests
{
    private const string Secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    private static async Task<string> StartFailureAsync(Dictionary<string, string?> settings)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () => await SkyportServer.StartAsync(settings));
        return error.Message;
    }

    [Fact]
    public async Task UnknownKind_IsRejected_NamingTheKey()
    {
        var message = await StartFailureAsync(new() { ["Skyport:DatasetStorage:Kind"] = "ftp" });

        Assert.Contains("Skyport:DatasetStorage:Kind must be 'local' or 's3' (got 'ftp')", message);
    }

    [Fact]
    public async Task S3WithoutBucket_IsRejected_NamingTheKey()
    {
        var message = await StartFailureAsync(new() { ["Skyport:DatasetStorage:Kind"] = "s3" });

        Assert.Contains("Skyport:DatasetStorage:Bucket is required", message);
    }

    [Fact]
    public async Task SecretWithoutAccessKey_AndABadUrl_AreRejected_WithoutEchoingTheSecret()
    {
        var message = await StartFailureAsync(new()
        {
            ["Skyport:DatasetStorage:Kind"] = "s3",
            ["Skyport:DatasetStorage:Bucket"] = "site-datasets",
            ["Skyport:DatasetStorage:ServiceUrl"] = "ftp://storage.example.org",
            ["Skyport:DatasetStorage:SecretAccessKey"] = Secret,
        });

        Assert.Contains("Skyport:DatasetStorage:AccessKeyId is required when Skyport:DatasetStorage:SecretAccessKey is set", message);
        Assert.Contains("Skyport:DatasetStorage:ServiceUrl must be an absolute http(s) URL", message);
        Assert.DoesNotContain(Secret, message);
    }

    [Fact]
    public async Task InvalidBucketName_AndMisspeltKey_AreRejected()
    {
        var badBucket = await StartFailureAsync(new() { ["Skyport:DatasetStorage:Kind"] = "s3", ["Skyport:DatasetStorage:Bucket"] = "Not_A_Bucket" });
        Assert.Contains("Skyport:DatasetStorage:Bucket must be an S3 bucket name", badBucket);

        var misspelt = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () =>
            await SkyportServer.StartAsync(new Dictionary<string, string?> { ["Skyport:DatasetStorage:Bukket"] = "x" }));
        Assert.Contains("Bukket", misspelt.Message);
    }

    [Fact]
    public async Task BucketSettings_WithTheLocalKind_AreRejected()
    {
        var message = await StartFailureAsync(new() { ["Skyport:DatasetStorage:Bucket"] = "site-datasets" });

        Assert.Contains("apply only with Skyport:DatasetStorage:Kind = s3", message);
    }
}

/// <summary>At start the server proves it can read and write its bucket; when it cannot, it does not start and says why.</summary>
[Collection(S3DatasetStoreCollection.Name)]
public sealed class DatasetStorageReadinessTests(S3DatasetStoreFixture fixture)
{
    private readonly string _bucket = $"ready-{Guid.NewGuid():N}"[..20];

    private TestCloud Cloud => fixture.Cloud;

    [Fact]
    public async Task Start_WithMissingBucket_FailsNamingTheBucketAndTheSection()
    {
        var key = await S3DatasetStoreFixture.CreateStaticKeyAsync(Cloud);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await SkyportServer.StartAsync(S3DatasetStoreFixture.StoreSettings(Cloud, _bucket, key)));

        Assert.Contains("Skyport:DatasetStorage", error.Message);
        Assert.Contains("configuration", error.Message);
        Assert.Contains(_bucket, error.Message);
        Assert.DoesNotContain(key.SecretAccessKey, error.Message);
    }

    [Fact]
    public async Task Start_WithWrongSecret_FailsWithTheStoresReason_WithoutTheSecret()
    {
        var key = await S3DatasetStoreFixture.CreateStaticKeyAsync(Cloud);
        await Cloud.CreateBucketAsync(_bucket);
        var wrong = key with { SecretAccessKey = "not-" + key.SecretAccessKey };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await SkyportServer.StartAsync(S3DatasetStoreFixture.StoreSettings(Cloud, _bucket, wrong)));

        Assert.Contains(_bucket, error.Message);
        Assert.Contains("SignatureDoesNotMatch", error.Message);
        Assert.DoesNotContain(wrong.SecretAccessKey, error.Message);
    }

    [Fact]
    public async Task Start_WithUnreachableEndpoint_FailsNamingIt()
    {
        var key = await S3DatasetStoreFixture.CreateStaticKeyAsync(Cloud);
        var settings = S3DatasetStoreFixture.StoreSettings(Cloud, _bucket, key);
        settings["Skyport:DatasetStorage:ServiceUrl"] = "http://127.0.0.1:9/";

        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await SkyportServer.StartAsync(settings));

        Assert.Contains("http://127.0.0.1:9/", error.Message);
        Assert.Contains("Skyport:DatasetStorage", error.Message);
    }

    [Fact]
    public async Task Start_WithAWorkingBucket_Succeeds_AndLeavesNoProbeBehind()
    {
        var key = await S3DatasetStoreFixture.CreateStaticKeyAsync(Cloud);
        await Cloud.CreateBucketAsync(_bucket);

        await using var server = await SkyportServer.StartAsync(S3DatasetStoreFixture.StoreSettings(Cloud, _bucket, key));

        var requests = await Cloud.S3RequestsAsync(_bucket);
        var listing = await fixture.Store.ListObjectsV2Async(new Amazon.S3.Model.ListObjectsV2Request { BucketName = _bucket });
        Assert.Empty(listing.S3Objects ?? []);
        Assert.Contains(requests, r => r.Operation == "PutObject" && r.Succeeded && r.Key!.StartsWith("site/.skyport-probe/", StringComparison.Ordinal));
        Assert.Contains(requests, r => r.Operation == "DeleteObject" && r.Succeeded);
        Assert.DoesNotContain(requests, r => r.Operation == "GetObject");
    }
}
