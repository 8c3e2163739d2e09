using System.Net.Http.Json;
using System.Text.Json;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage.S3;
using Skyport.Tests.CloudStorage;
using Skyport.Tests.Identity;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.DatasetStorage;

/// <summary>
/// A Skyport server whose dataset storage is a bucket of the test cloud's S3 emulator, reached with a static key pair
/// the administrator configured (<c>Skyport:DatasetStorage</c>), plus everything <see cref="IStorageFixture"/> gives
/// (a user signed in through the OIDC provider with an AWS authorization), so the cloud get/send suites run on it too.
/// <see cref="Store"/> is a direct client with the site's key, for checking what Skyport keeps in its bucket.
/// One test cloud serves every class of the collection (they run one after another, so faults never overlap);
/// classes that need other settings start their own server on it (<see cref="StartServerAsync"/>).
/// </summary>
public sealed class S3DatasetStoreFixture : IAsyncLifetime, IStorageFixture
{
    public const string Prefix = "site/";

    private TestCloud? _cloud;
    private SkyportServer? _server;
    private SkyportLogin? _login;
    private IAmazonS3? _s3;
    private IAmazonS3? _store;

    public TestCloud Cloud => _cloud!;
    public SkyportServer Server => _server!;
    public HttpClient User => _login!.Http;
    public IAmazonS3 S3 => _s3!;
    /// <summary>A client with the site's static key, for the dataset bucket.</summary>
    public IAmazonS3 Store => _store!;
    public string DatasetBucket { get; } = $"datasets-{Guid.NewGuid():N}"[..24];
    public StaticS3Key Key { get; private set; } = new("", "");
    public string AuthzId { get; private set; } = "";
    public string Subject { get; } = $"store-user-{Guid.NewGuid():N}";
    public string RoleArn { get; } = "arn:aws:iam::123456789012:role/skyport-transfers";
    public LogCapture Logs { get; } = new();
    public string Sha256MetadataKey => "skyport-sha256";
    public IReadOnlyList<string> OddKeys => ["dir/my file.txt", "données/é.txt", "../escape.txt", "a/../../b.txt"];

    public async Task InitializeAsync()
    {
        _cloud = await TestCloud.StartAsync();
        Key = await CreateStaticKeyAsync(_cloud);
        await _cloud.CreateBucketAsync(DatasetBucket);
        _server = await StartServerAsync(DatasetBucket, new Dictionary<string, string?>(), Logs);
        await _cloud.RegisterAwsRoleAsync(new AwsRole(RoleArn, _cloud.Issuer, TestCloud.ClientId, Subject, 43200));
        (_login, AuthzId) = await StorageUser.SignInWithAuthzAsync(_server, _cloud, Subject, "aws",
            new { role_arn = RoleArn, endpoint = _cloud.S3.ToString(), region = "us-east-1" });
        _s3 = await DirectClientAsync();
        _store = S3ClientFactory.Create(new AwsCloudCredentials(new BasicAWSCredentials(Key.AccessKeyId, Key.SecretAccessKey), "us-east-1", _cloud.S3.ToString()));
    }

    /// <summary>Another server on this test cloud keeping its datasets in <paramref name="bucket"/> (created by the caller).</summary>
    public async Task<SkyportServer> StartServerAsync(string bucket, IReadOnlyDictionary<string, string?> extra, LogCapture? logs = null)
    {
        var settings = StorageUser.Settings(Cloud);
        foreach (var (name, value) in StoreSettings(Cloud, bucket, Key).Concat(extra))
        {
            settings[name] = value;
        }
        settings["Skyport:Uploads:AllowPrivateUrls"] = "true";
        return await SkyportServer.StartAsync(settings, configure: logs is null ? null : logs.AddTo);
    }

    /// <summary>The dataset storage settings an administrator writes for a bucket of the emulator.</summary>
    public static Dictionary<string, string?> StoreSettings(TestCloud cloud, string bucket, StaticS3Key key) => new()
    {
        ["Skyport:DatasetStorage:Kind"] = "s3",
        ["Skyport:DatasetStorage:Bucket"] = bucket,
        ["Skyport:DatasetStorage:Prefix"] = Prefix,
        ["Skyport:DatasetStorage:ServiceUrl"] = cloud.S3.ToString(),
        ["Skyport:DatasetStorage:Region"] = "us-east-1",
        ["Skyport:DatasetStorage:AccessKeyId"] = key.AccessKeyId,
        ["Skyport:DatasetStorage:SecretAccessKey"] = key.SecretAccessKey,
    };

    /// <summary>A long-lived key pair of its own account, as an administrator creates for the site's bucket.</summary>
    public static async Task<StaticS3Key> CreateStaticKeyAsync(TestCloud cloud)
    {
        using var admin = new HttpClient { BaseAddress = cloud.Admin };
        using var response = await admin.PostAsJsonAsync("/s3/keys", new { });
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        return new StaticS3Key(body.GetProperty("access_key_id").GetString()!, body.GetProperty("secret_access_key").GetString()!);
    }

    /// <summary>The object key of a dataset, from its uuid (as the API shows it).</summary>
    public static string ObjectKey(string uuid)
    {
        var name = Guid.Parse(uuid).ToString("N");
        return $"{Prefix}{name[..2]}/{name}.dat";
    }

    /// <summary>Every object in the dataset bucket.</summary>
    public async Task<List<S3Object>> StoredObjectsAsync() =>
        (await Store.ListObjectsV2Async(new ListObjectsV2Request { BucketName = DatasetBucket })).S3Objects ?? [];

    public async Task<GetObjectMetadataResponse?> HeadStoredAsync(string uuid)
    {
        try
        {
            return await Store.GetObjectMetadataAsync(DatasetBucket, ObjectKey(uuid));
        }
        catch (AmazonS3Exception e) when (e.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task<IAmazonS3> DirectClientAsync() => DirectS3.ClientAsync(Cloud, Subject, RoleArn);

    public Task<string> NewBucketAsync() => S3.NewBucketAsync('b');

    public Task PutAsync(string bucket, string key, byte[] bytes) => S3.PutBytesAsync(bucket, key, bytes);

    public Task<byte[]> ReadAsync(string bucket, string key) => S3.ReadBytesAsync(bucket, key);

    public Task<IReadOnlyDictionary<string, string>> MetadataAsync(string bucket, string key) => S3.MetadataAsync(bucket, key);

    public Task<List<string>> KeysAsync(string bucket) => S3.KeysAsync(bucket);

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        _store?.Dispose();
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

public sealed record StaticS3Key(string AccessKeyId, string SecretAccessKey);

/// <summary>Every class that needs the S3 emulator for dataset storage shares one test cloud; their tests run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class S3DatasetStoreCollection : ICollectionFixture<S3DatasetStoreFixture>
{
    public const string Name = "Datasets in an S3 bucket";
}

/// <summary>The cloud get suite with datasets kept in the S3 bucket: objects come in, are committed to the store, and display from it.</summary>
[Collection(S3DatasetStoreCollection.Name)]
public sealed class S3StoredDatasetsGetTests(S3DatasetStoreFixture fixture) : CloudGetTests<S3DatasetStoreFixture>(fixture);

/// <summary>The cloud send suite with datasets kept in the S3 bucket: sends read the dataset from the store.</summary>
[Collection(S3DatasetStoreCollection.Name)]
public sealed class S3StoredDatasetsSendTests(S3DatasetStoreFixture fixture) : CloudSendTests<S3DatasetStoreFixture>(fixture);
