using System.Globalization;
using System.Text.RegularExpressions;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Skyport.Server.Cloud.Storage.S3;

namespace Skyport.Tests.CloudStorage;

/// <summary>
/// Skyport's presigned URLs against the SDK's own, as the oracle: for the same key, verb (and signed headers), time and
/// credentials, the same URL (the same host and path, the same parameters, the same signature), on AWS (virtual-hosted and path-style buckets)
/// and on a compatible store at a custom endpoint. The signatures are checked by a store in the S3 tests
/// (S3RequestEconomyTests, CloudGetTests, CloudSendTests), whose HEADs and GETs all go through it.
/// </summary>
public sealed partial class S3PresignerTests
{
    private static readonly SessionAWSCredentials Credentials = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "Fwo+token/with==padding");
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(15);

    public static TheoryData<string, string> Stores => new()
    {
        { "aws eu-west-1", "bench" },
        { "aws eu-west-1", "dotted.bucket.name" },
        { "aws us-east-1", "bench" },
        { "compatible http", "bench" },
        { "compatible https", "bench" },
    };

    private static IAmazonS3 Client(string store) => store switch
    {
        "aws eu-west-1" => new AmazonS3Client(Credentials, new AmazonS3Config { RegionEndpoint = RegionEndpoint.EUWest1 }),
        "aws us-east-1" => new AmazonS3Client(Credentials, new AmazonS3Config { RegionEndpoint = RegionEndpoint.USEast1 }),
        "compatible http" => S3ClientFactory.Create(new Server.Cloud.Credentials.AwsCloudCredentials(Credentials, "us-east-1", "http://127.0.0.1:9000")),
        "compatible https" => S3ClientFactory.Create(new Server.Cloud.Credentials.AwsCloudCredentials(Credentials, "eu-central-1", "https://minio.example.org:9443/")),
        _ => throw new ArgumentOutOfRangeException(nameof(store)),
    };

    private static readonly string[] ObjectKeys =
    [
        "plain.txt", "folder/sub folder/file name.txt", "unicode/Ünïcødé-😀.fa", "dots/./and/../segments", "..", ".", "a//b", "trailing/",
        "reserved !#$&'()*+,;=:@[]", "percent%2Fencoded%", "tilde~and-underscore_", "query?like=this&that", "tab\tand\nnewline",
    ];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task EveryKey_GetsTheSdksUrl(string store, string bucket)
    {
        using var s3 = Client(store);
        var presigner = new S3Presigner(s3, Credentials);
        var shape = S3Presigner.ShapeOf(await SdkUrlAsync(s3, bucket, "k", HttpVerb.GET));
        Assert.NotNull(shape);
        var credentials = await Credentials.GetCredentialsAsync();
        foreach (var key in ObjectKeys)
        {
            foreach (var (verb, method) in new[] { (HttpVerb.GET, HttpMethod.Get), (HttpVerb.HEAD, HttpMethod.Head) })
            {
                var sdk = await SdkUrlAsync(s3, bucket, key, verb);
                var ours = presigner.Sign(shape, method, key, SignedAt(sdk), Lifetime, credentials);
                Assert.Equal(Normalized(sdk), Normalized(ours));
            }
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task APutWithSignedHeaders_GetsTheSdksUrl(string store, string bucket)
    {
        using var s3 = Client(store);
        var presigner = new S3Presigner(s3, Credentials);
        var shape = S3Presigner.ShapeOf(await SdkUrlAsync(s3, bucket, "k", HttpVerb.GET))!;
        S3Presigner.SignedHeader[] headers = [new("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="), new("x-amz-meta-skyport-sha256", new string('e', 64))];
        foreach (var key in ObjectKeys)
        {
            var sdk = await SdkUrlAsync(s3, bucket, key, HttpVerb.PUT, request =>
            {
                request.Headers.ContentMD5 = "1B2M2Y8AsgTpgAmY7PhCfg==";
                request.Metadata["skyport-sha256"] = new string('e', 64);
            });
            Assert.Contains("X-Amz-SignedHeaders=content-md5%3Bhost%3Bx-amz-meta-skyport-sha256", sdk);

            var ours = presigner.Sign(shape, HttpMethod.Put, key, SignedAt(sdk), Lifetime, await Credentials.GetCredentialsAsync(), headers);

            Assert.Equal(Normalized(sdk), Normalized(ours));
        }
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task KeyWithLeadingSlash_IsSignedAsTheSdkSignsIt_AndAskedForAsIs(string store, string bucket)
    {
        using var s3 = Client(store);
        var presigner = new S3Presigner(s3, Credentials);
        var shape = S3Presigner.ShapeOf(await SdkUrlAsync(s3, bucket, "k", HttpVerb.GET))!;
        var sdk = await SdkUrlAsync(s3, bucket, "/leading.txt", HttpVerb.GET);

        var ours = presigner.Sign(shape, HttpMethod.Get, "/leading.txt", SignedAt(sdk), Lifetime, await Credentials.GetCredentialsAsync());

        // The SDK signs the key with its '/' (the same signature) but, path-style, drops the '/' from the URL it gives.
        Assert.Equal(Signature(sdk), Signature(ours));
        Assert.EndsWith("//leading.txt", new Uri(ours, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }).AbsolutePath);
    }

    [Fact]
    public async Task PresignAsync_SignsWithTheCredentialsOfNow()
    {
        using var s3 = Client("compatible http");
        var presigner = new S3Presigner(s3, Credentials);

        var url = (await presigner.PresignAsync(HttpMethod.Head, "bench", "dir/file 1.txt", Lifetime)).OriginalString;

        Assert.StartsWith("http://127.0.0.1:9000/bench/dir/file%201.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F", url);
        Assert.Contains("&X-Amz-Expires=900&X-Amz-Security-Token=Fwo%2Btoken%2Fwith%3D%3Dpadding&X-Amz-SignedHeaders=host&X-Amz-Signature=", url);
        Assert.InRange(SignedAt(url), DateTime.UtcNow.AddMinutes(-1), DateTime.UtcNow.AddMinutes(1));
        // The same as the SDK's, signed at the same second.
        var sdk = await SdkUrlAsync(s3, "bench", "dir/file 1.txt", HttpVerb.HEAD);
        if (SignedAt(sdk) == SignedAt(url))
        {
            Assert.Equal(Normalized(sdk), Normalized(url));
        }
    }

    [Theory]
    [InlineData("http://h/b/k?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256&X-Amz-Credential=A%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261127T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=00")]
    [InlineData("http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261127T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host%3Bx-amz-s3session-token&X-Amz-Signature=00")]
    [InlineData("http://h/b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261127T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&x-id=GetObject&X-Amz-Signature=00")]
    [InlineData("http://h/b/other?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20261127%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261127T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=00")]
    public void AnUrlOfAnotherShape_LeavesTheBucketToTheSdk(string sdkUrl) => Assert.Null(S3Presigner.ShapeOf(sdkUrl));

    [Fact]
    public async Task AnAccessPointArn_IsAddressedAsTheSdkAddressesIt()
    {
        using var s3 = Client("aws eu-west-1");
        var presigner = new S3Presigner(s3, Credentials);
        const string accessPoint = "arn:aws:s3:eu-west-1:123456789012:accesspoint/reports";

        var url = (await presigner.PresignAsync(HttpMethod.Get, accessPoint, "a.txt", Lifetime)).OriginalString;

        Assert.StartsWith("https://reports-123456789012.s3-accesspoint.eu-west-1.amazonaws.com/a.txt?", url);
    }

    private static Task<string> SdkUrlAsync(IAmazonS3 s3, string bucket, string key, HttpVerb verb, Action<GetPreSignedUrlRequest>? with = null)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = key,
            Verb = verb,
            Expires = DateTime.UtcNow + Lifetime,
            Protocol = s3.Config.ServiceURL?.StartsWith("http://", StringComparison.Ordinal) == true ? Protocol.HTTP : Protocol.HTTPS,
        };
        with?.Invoke(request);
        return s3.GetPreSignedURLAsync(request);
    }

    private static DateTime SignedAt(string url) => DateTime.ParseExact(AmzDate().Match(url).Groups[1].Value, "yyyyMMdd'T'HHmmss'Z'",
        CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static string Signature(string url) => Regex.Match(url, "X-Amz-Signature=([0-9a-f]{64})").Groups[1].Value;

    /// <summary>Scheme, host and path as they are; the parameters in one order (the SDK's differs, and order carries no meaning).</summary>
    private static string Normalized(string url)
    {
        var parts = url.Split('?', 2);
        return parts[0] + "?" + string.Join("&", parts[1].Split('&').Order(StringComparer.Ordinal));
    }

    [GeneratedRegex("X-Amz-Date=([0-9]{8}T[0-9]{6}Z)")]
    private static partial Regex AmzDate();
}
