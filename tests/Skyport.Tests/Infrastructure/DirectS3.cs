using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Cloud.Storage.S3;

namespace Skyport.Tests.Infrastructure;

/// <summary>
/// The tests' own S3 client on the test cloud's emulator, with a role's temporary keys obtained from the STS double as
/// Skyport obtains them, and the bucket chores every S3 fixture needs (setting objects up, reading back what Skyport wrote).
/// </summary>
public static class DirectS3
{
    public static async Task<IAmazonS3> ClientAsync(TestCloud cloud, string subject, string roleArn, int durationSeconds = 3600)
    {
        var token = await cloud.MintIdTokenAsync(new OidcClaims(Sub: subject, Email: $"{subject}@example.org"));
        using var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), new AmazonSecurityTokenServiceConfig { ServiceURL = cloud.Sts.ToString() });
        var assumed = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = roleArn, RoleSessionName = "test-setup", WebIdentityToken = token, DurationSeconds = durationSeconds,
        });
        var keys = new SessionAWSCredentials(assumed.Credentials.AccessKeyId, assumed.Credentials.SecretAccessKey, assumed.Credentials.SessionToken);
        return S3ClientFactory.Create(new AwsCloudCredentials(keys, "us-east-1", cloud.S3.ToString()));
    }

    public static async Task<string> NewBucketAsync(this IAmazonS3 s3, char initial = 'b')
    {
        var bucket = $"{initial}{Guid.NewGuid():N}"[..20];
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        return bucket;
    }

    public static async Task PutBytesAsync(this IAmazonS3 s3, string bucket, string key, byte[] bytes) =>
        await s3.PutObjectAsync(new PutObjectRequest { BucketName = bucket, Key = key, InputStream = new MemoryStream(bytes), UseChunkEncoding = false });

    public static async Task<byte[]> ReadBytesAsync(this IAmazonS3 s3, string bucket, string key)
    {
        using var response = await s3.GetObjectAsync(bucket, key);
        using var copy = new MemoryStream();
        await response.ResponseStream.CopyToAsync(copy);
        return copy.ToArray();
    }

    /// <summary>User metadata without its <c>x-amz-meta-</c> prefix.</summary>
    public static async Task<IReadOnlyDictionary<string, string>> MetadataAsync(this IAmazonS3 s3, string bucket, string key)
    {
        var head = await s3.GetObjectMetadataAsync(bucket, key);
        return head.Metadata.Keys.ToDictionary(k => k.Replace("x-amz-meta-", ""), k => head.Metadata[k]);
    }

    public static async Task<List<string>> KeysAsync(this IAmazonS3 s3, string bucket) =>
        (await s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket })).S3Objects?.Select(o => o.Key).ToList() ?? [];
}
