using System.Net;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage.S3;
using Skyport.Tests.Infrastructure;
using Cloud = Skyport.Tests.Infrastructure.TestCloud;

namespace Skyport.Tests.TestDoubles;

/// <summary>
/// The S3 emulator, driven as Skyport drives S3: temporary keys from the STS double, a client from
/// <see cref="S3ClientFactory"/>. Each test works in a bucket of its own.
/// </summary>
public sealed class S3EmulatorTests(TestCloudFixture fixture) : IClassFixture<TestCloudFixture>, IAsyncLifetime
{
    private const string Region = "us-east-1";
    private const int MiB = 1024 * 1024;
    private readonly Cloud _cloud = fixture.Cloud;
    private readonly string _bucket = $"skyport-{Guid.NewGuid():N}";
    private Credentials _keys = null!;
    private IAmazonS3 _s3 = null!;

    public async Task InitializeAsync()
    {
        _keys = await AssumeRoleAsync();
        _s3 = ClientFor(new SessionAWSCredentials(_keys.AccessKeyId, _keys.SecretAccessKey, _keys.SessionToken));
        await _cloud.CreateBucketAsync(_bucket);
    }

    public async Task DisposeAsync()
    {
        await _cloud.ClearS3FaultsAsync();
        _s3.Dispose();
    }

    [Fact]
    public async Task PutObject_OfFortyOneBytes_ReadsBackTheSameFortyOneBytes()
    {
        var content = Encoding.ASCII.GetBytes("The quick brown fox jumps over a lazy dog");
        Assert.Equal(41, content.Length);

        var put = await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "fox.txt", InputStream = new MemoryStream(content) });

        Assert.Equal(Quoted(MD5.HashData(content)), put.ETag);
        Assert.Equal(content, await ReadAsync("fox.txt"));
    }

    [Fact]
    public async Task MultipartUpload_InFiveMiBParts_ReadsBackByteIdentical()
    {
        var content = RandomBytes(20 * MiB + 12345);
        var upload = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = "big/data.bin" });
        var parts = new List<PartETag>();
        for (var (offset, number) = (0, 1); offset < content.Length; offset += 5 * MiB, number++)
        {
            var length = Math.Min(5 * MiB, content.Length - offset);
            var part = await _s3.UploadPartAsync(new UploadPartRequest
            {
                BucketName = _bucket, Key = "big/data.bin", UploadId = upload.UploadId, PartNumber = number,
                InputStream = new MemoryStream(content, offset, length), PartSize = length,
            });
            Assert.Equal(Quoted(MD5.HashData(content.AsSpan(offset, length))), part.ETag);
            parts.Add(new PartETag(number, part.ETag));
        }

        var listed = await _s3.ListPartsAsync(new ListPartsRequest { BucketName = _bucket, Key = "big/data.bin", UploadId = upload.UploadId });
        await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = _bucket, Key = "big/data.bin", UploadId = upload.UploadId, PartETags = parts,
        });

        Assert.Equal(5, parts.Count);
        Assert.Equal(parts.Select(p => p.PartNumber), listed.Parts.Select(p => p.PartNumber));
        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await ReadAsync("big/data.bin")));
    }

    [Fact]
    public async Task AbortMultipartUpload_LeavesNoObject()
    {
        var upload = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = "aborted.bin" });
        await _s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = _bucket, Key = "aborted.bin", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(RandomBytes(1024)),
        });

        await _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = _bucket, Key = "aborted.bin", UploadId = upload.UploadId });

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => _s3.GetObjectMetadataAsync(_bucket, "aborted.bin"));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task UploadPartCopy_OfTwoRanges_ReassemblesTheSource()
    {
        var content = RandomBytes(6 * MiB);
        await _cloud.PutS3ObjectAsync(_bucket, "source dir/src.bin", content);
        var upload = await _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = _bucket, Key = "copied/dst.bin" });

        var parts = new List<PartETag>();
        foreach (var (number, first, last) in new[] { (1, 0L, 5L * MiB - 1), (2, 5L * MiB, 6L * MiB - 1) })
        {
            var part = await _s3.CopyPartAsync(new CopyPartRequest
            {
                SourceBucket = _bucket, SourceKey = "source dir/src.bin", DestinationBucket = _bucket, DestinationKey = "copied/dst.bin",
                UploadId = upload.UploadId, PartNumber = number, FirstByte = first, LastByte = last,
            });
            parts.Add(new PartETag(number, part.ETag));
        }
        await _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
        {
            BucketName = _bucket, Key = "copied/dst.bin", UploadId = upload.UploadId, PartETags = parts,
        });

        Assert.Equal(SHA256.HashData(content), SHA256.HashData(await ReadAsync("copied/dst.bin")));
    }

    [Fact]
    public async Task GetObject_WithByteRange_ReturnsThatSlice()
    {
        var content = RandomBytes(10_000);
        await _cloud.PutS3ObjectAsync(_bucket, "ranged.bin", content);

        using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "ranged.bin", ByteRange = new ByteRange(1000, 4999) });
        var slice = await ReadAllAsync(response.ResponseStream);

        Assert.Equal(HttpStatusCode.PartialContent, response.HttpStatusCode);
        Assert.Equal("bytes 1000-4999/10000", response.ContentRange);
        Assert.Equal(content[1000..5000], slice);
    }

    [Fact]
    public async Task ListObjectsV2_WithPrefixAndDelimiter_GroupsCommonPrefixes()
    {
        foreach (var key in new[] { "data/a/1.txt", "data/a/2.txt", "data/b/1.txt", "data/top.txt", "other.txt" })
        {
            await _cloud.PutS3ObjectAsync(_bucket, key, Encoding.UTF8.GetBytes(key));
        }

        var response = await _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket, Prefix = "data/", Delimiter = "/" });

        Assert.Equal(["data/a/", "data/b/"], response.CommonPrefixes);
        Assert.Equal(["data/top.txt"], response.S3Objects.Select(o => o.Key));
        Assert.Equal(Encoding.UTF8.GetByteCount("data/top.txt"), response.S3Objects[0].Size);
    }

    [Fact]
    public async Task ListObjectsV2_WithSmallMaxKeys_PagesThroughContinuationTokens()
    {
        var keys = Enumerable.Range(1, 5).Select(i => $"paged/{i:D2}.txt").ToList();
        foreach (var key in keys.Append("unrelated.txt"))
        {
            await _cloud.PutS3ObjectAsync(_bucket, key, [1]);
        }

        var pages = new List<List<string>>();
        var request = new ListObjectsV2Request { BucketName = _bucket, Prefix = "paged/", MaxKeys = 2 };
        ListObjectsV2Response response;
        do
        {
            response = await _s3.ListObjectsV2Async(request);
            pages.Add(response.S3Objects.Select(o => o.Key).ToList());
            request.ContinuationToken = response.NextContinuationToken;
        }
        while (response.IsTruncated == true);

        Assert.Equal([2, 2, 1], pages.Select(p => p.Count));
        Assert.Equal(keys, pages.SelectMany(p => p));
    }

    [Fact]
    public async Task HeadObject_OfSinglePartObject_GivesSizeMd5ETagAndUserMetadata()
    {
        var content = RandomBytes(4321);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
        var put = new PutObjectRequest { BucketName = _bucket, Key = "meta.bin", InputStream = new MemoryStream(content), ContentType = "application/x-test" };
        put.Metadata["x-amz-meta-sha256"] = sha256;
        await _s3.PutObjectAsync(put);

        var head = await _s3.GetObjectMetadataAsync(_bucket, "meta.bin");

        Assert.Equal(4321, head.ContentLength);
        Assert.Equal(Quoted(MD5.HashData(content)), head.ETag);
        Assert.Equal("application/x-test", head.Headers.ContentType);
        Assert.Equal(sha256, head.Metadata["x-amz-meta-sha256"]);
    }

    [Fact]
    public async Task CopyObject_WithSlashesSpacesAndUnicodeInKeys_CopiesContentAndMetadata()
    {
        const string source = "in/sub dir/naïve résumé ✓.txt";
        const string destination = "out/copy of/日本語 ü.txt";
        var content = RandomBytes(777);
        await _cloud.PutS3ObjectAsync(_bucket, source, content, metadata: new Dictionary<string, string> { ["sha256"] = "abc" });

        await _s3.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = _bucket, SourceKey = source, DestinationBucket = _bucket, DestinationKey = destination,
        });

        Assert.Equal(content, await ReadAsync(destination));
        Assert.Equal("abc", (await _s3.GetObjectMetadataAsync(_bucket, destination)).Metadata["x-amz-meta-sha256"]);
    }

    [Fact]
    public void EncodeCopySource_KeepsSlashesAndEncodesEachSegment()
    {
        Assert.Equal("b/in/sub%20dir/na%C3%AFve%2B.txt", S3CompatibilityHandler.EncodeCopySource("b%2Fin%2Fsub%20dir%2Fna%C3%AFve%2B.txt"));
        Assert.Equal("/b/k%20x?versionId=3", S3CompatibilityHandler.EncodeCopySource("/b/k x?versionId=3"));
    }

    [Fact]
    public async Task Request_SignedWithWrongSecret_FailsWithSignatureDoesNotMatch()
    {
        using var s3 = ClientFor(new SessionAWSCredentials(_keys.AccessKeyId, "not-the-secret-" + _keys.SecretAccessKey[15..], _keys.SessionToken));

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket }));

        Assert.Equal((HttpStatusCode.Forbidden, "SignatureDoesNotMatch"), (error.StatusCode, error.ErrorCode));
    }

    [Theory]
    [InlineData("ASIANEVERISSUED12345", "secret-that-was-never-issued-by-sts-0000")]
    [InlineData("S3RVER", "S3RVER")] // s3rver's built-in pair is revoked
    public async Task Request_WithKeysNeverIssued_FailsWithInvalidAccessKeyId(string accessKeyId, string secret)
    {
        using var s3 = ClientFor(new BasicAWSCredentials(accessKeyId, secret));

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "x", ContentBody = "x" }));

        Assert.Equal((HttpStatusCode.Forbidden, "InvalidAccessKeyId"), (error.StatusCode, error.ErrorCode));
    }

    [Fact]
    public async Task Request_WithAnotherSessionsToken_FailsWithInvalidToken()
    {
        var other = await AssumeRoleAsync();
        using var s3 = ClientFor(new SessionAWSCredentials(_keys.AccessKeyId, _keys.SecretAccessKey, other.SessionToken));

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket }));

        Assert.Equal((HttpStatusCode.BadRequest, "InvalidToken"), (error.StatusCode, error.ErrorCode));
    }

    [Fact]
    public async Task Request_WithoutTheSessionToken_FailsWithInvalidAccessKeyId()
    {
        using var s3 = ClientFor(new BasicAWSCredentials(_keys.AccessKeyId, _keys.SecretAccessKey));

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket }));

        Assert.Equal((HttpStatusCode.Forbidden, "InvalidAccessKeyId"), (error.StatusCode, error.ErrorCode));
    }

    [Fact]
    public async Task DroppedConnections_ForLongerThanTheSdkRetries_FailTheRequest_ThenServiceResumes()
    {
        await _cloud.PutS3ObjectAsync(_bucket, "k", [1, 2, 3]);
        // By count, drops are hard to outlast: the SDK and HttpClient retry a reset connection many times within a second.
        await _cloud.DropS3ConnectionsAsync(duration: TimeSpan.FromSeconds(30));

        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        Assert.True(error is IOException or HttpRequestException, $"unexpected {error}");
        await _cloud.ClearS3FaultsAsync();
        Assert.Equal([1, 2, 3], await ReadAsync("k"));
    }

    [Fact]
    public async Task DroppedConnection_Once_IsRetriedBySdk()
    {
        var content = RandomBytes(100_000);
        await _cloud.DropS3ConnectionsAsync(requests: 1);

        await _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "retried.bin", InputStream = new MemoryStream(content) });

        Assert.Equal(content, await ReadAsync("retried.bin"));
    }

    [Fact]
    public async Task DroppedConnections_AfterSomeRequests_HitOnlyTheLaterOnes()
    {
        await _cloud.PutS3ObjectAsync(_bucket, "k", [7]);
        await _cloud.DropS3ConnectionsAsync(duration: TimeSpan.FromSeconds(30), after: 2);

        Assert.Equal([7], await ReadAsync("k"));
        Assert.Equal([7], await ReadAsync("k"));
        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        Assert.NotNull(error);
        Assert.IsNotType<AmazonS3Exception>(error);
    }

    [Fact]
    public async Task RefusedConnections_FailTheRequest_UntilTheListenerReopens()
    {
        await _cloud.PutS3ObjectAsync(_bucket, "k", [9]);
        await _cloud.RefuseS3ConnectionsAsync(TimeSpan.FromSeconds(3));

        var error = await Record.ExceptionAsync(() => ReadAsync("k"));

        var refused = error as HttpRequestException ?? error?.InnerException as HttpRequestException;
        Assert.True(refused?.HttpRequestError == HttpRequestError.ConnectionError, $"unexpected {error}");
        await Task.Delay(TimeSpan.FromSeconds(3.5));
        Assert.Equal([9], await ReadAsync("k"));
    }

    [Theory]
    [InlineData(S3Failure.SlowDown, HttpStatusCode.ServiceUnavailable, "SlowDown")]
    [InlineData(S3Failure.InternalError, HttpStatusCode.InternalServerError, "InternalError")]
    public async Task InjectedErrors_BeyondTheSdkRetries_SurfaceWithS3sCode(S3Failure failure, HttpStatusCode status, string code)
    {
        await _cloud.PutS3ObjectAsync(_bucket, "k", [1]);
        await _cloud.FailS3RequestsAsync(failure, requests: 20);

        var error = await Assert.ThrowsAsync<AmazonS3Exception>(() => ReadAsync("k"));

        Assert.Equal((status, code), (error.StatusCode, error.ErrorCode));
    }

    [Fact]
    public async Task InjectedSlowDown_Once_IsRetriedBySdk()
    {
        await _cloud.PutS3ObjectAsync(_bucket, "k", [5]);
        await _cloud.FailS3RequestsAsync(S3Failure.SlowDown, requests: 1);

        Assert.Equal([5], await ReadAsync("k"));
    }

    [Fact]
    public async Task DeniedBucket_AnswersAccessDeniedToEveryRequest_UntilAllowedAgain()
    {
        await _cloud.PutS3ObjectAsync(_bucket, "k", [1]);
        await _cloud.DenyS3BucketAsync(_bucket);

        var errors = new[]
        {
            await Assert.ThrowsAsync<AmazonS3Exception>(() => ReadAsync("k")),
            await Assert.ThrowsAsync<AmazonS3Exception>(() => _s3.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = "new", ContentBody = "x" })),
            await Assert.ThrowsAsync<AmazonS3Exception>(() => _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = _bucket })),
        };

        Assert.All(errors, e => Assert.Equal((HttpStatusCode.Forbidden, "AccessDenied"), (e.StatusCode, e.ErrorCode)));
        await _cloud.AllowS3BucketAsync(_bucket);
        Assert.Equal([1], await ReadAsync("k"));
    }

    [Fact]
    public async Task CorruptedObject_KeepsSizeAndETag_ButItsBytesNoLongerMatchTheETag()
    {
        var content = RandomBytes(3000);
        var stored = await _cloud.PutS3ObjectAsync(_bucket, "rotten.bin", content);

        var offset = await _cloud.CorruptS3ObjectAsync(_bucket, "rotten.bin");

        // A ranged read skips the SDK's own MD5 check, so the corrupted bytes themselves come back.
        using var response = await _s3.GetObjectAsync(new GetObjectRequest { BucketName = _bucket, Key = "rotten.bin", ByteRange = new ByteRange(0, 2999) });
        var read = await ReadAllAsync(response.ResponseStream);
        Assert.Equal((Quoted(MD5.HashData(content)), 3000L), (stored.Etag, stored.Size));
        Assert.Equal(stored.Etag, response.ETag);
        Assert.Equal(content.Length, read.Length);
        Assert.NotEqual(response.ETag, Quoted(MD5.HashData(read)));
        Assert.Equal((byte)(content[offset] ^ 0xff), read[offset]);
        Assert.Equal(content.AsSpan(0, (int)offset), read.AsSpan(0, (int)offset));
    }

    [Fact]
    public async Task CorruptedObject_ReadWhole_FailsTheSdksMd5Check()
    {
        await _cloud.PutS3ObjectAsync(_bucket, "rotten.bin", RandomBytes(3000));
        await _cloud.CorruptS3ObjectAsync(_bucket, "rotten.bin", offset: 0);

        var error = await Assert.ThrowsAsync<AmazonClientException>(() => ReadAsync("rotten.bin"));

        Assert.Contains("Expected hash not equal to calculated hash", error.Message);
    }

    private async Task<Credentials> AssumeRoleAsync()
    {
        var roleArn = $"arn:aws:iam::123456789012:role/skyport-s3-{Guid.NewGuid():N}";
        await _cloud.RegisterAwsRoleAsync(new AwsRole(roleArn, _cloud.Issuer, Cloud.ClientId));
        using var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(),
            new AmazonSecurityTokenServiceConfig { ServiceURL = _cloud.Sts.ToString(), MaxErrorRetry = 0 });
        var response = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = roleArn, RoleSessionName = "s3-emulator-test", WebIdentityToken = await _cloud.MintIdTokenAsync(), DurationSeconds = 900,
        });
        return response.Credentials;
    }

    private IAmazonS3 ClientFor(AWSCredentials credentials) =>
        S3ClientFactory.Create(new AwsCloudCredentials(credentials, Region, _cloud.S3.ToString()));

    private async Task<byte[]> ReadAsync(string key)
    {
        using var response = await _s3.GetObjectAsync(_bucket, key);
        return await ReadAllAsync(response.ResponseStream);
    }

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private static string Quoted(byte[] md5) => $"\"{Convert.ToHexStringLower(md5)}\"";
}
