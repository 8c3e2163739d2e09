using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Skyport.Server.Cloud.Credentials;

namespace Skyport.Server.Cloud.Storage.S3;

/// <summary>An S3 client and the presigner that signs for the same credentials and endpoint.</summary>
public sealed record S3Connection(IAmazonS3 Client, S3Presigner Presigner);

/// <summary>S3 clients for an authorization's temporary keys: AWS itself, or an S3-compatible store at its ServiceUrl.</summary>
public static class S3ClientFactory
{
    /// <summary>A client (<see cref="Create"/>) with its presigner.</summary>
    public static S3Connection Connect(AwsCloudCredentials credentials, int maxConnections = 16, bool? forcePathStyle = null)
    {
        var client = Create(credentials, maxConnections, forcePathStyle);
        return new S3Connection(client, new S3Presigner(client, credentials.Credentials));
    }

    /// <param name="maxConnections">Concurrent connections to the endpoint; parallel part transfers beyond it queue.</param>
    /// <param name="forcePathStyle">Path-style addressing; by default only for a custom ServiceUrl.</param>
    public static IAmazonS3 Create(AwsCloudCredentials credentials, int maxConnections = 16, bool? forcePathStyle = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConnections, 1);
        var config = new AmazonS3Config
        {
            MaxConnectionsPerServer = maxConnections,
            // SDK 4 otherwise adds CRC32 checksum trailers to every upload, which S3-compatible stores (and s3rver)
            // either reject or store as part of the object; integrity is left to MD5 (ETag, Content-MD5) instead.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            HttpClientFactory = S3HttpClientFactory.Instance,
        };
        if (credentials.ServiceUrl is null)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(credentials.Region);
            config.ForcePathStyle = forcePathStyle ?? false;
            return new AmazonS3Client(credentials.Credentials, config);
        }
        // Compatible stores rarely have wildcard DNS for bucket.host, so address buckets by path; they still check
        // the SigV4 region, which cannot be inferred from a custom URL.
        config.ServiceURL = credentials.ServiceUrl;
        config.ForcePathStyle = forcePathStyle ?? true;
        config.AuthenticationRegion = credentials.Region;
        return new CompatibleS3Client(credentials.Credentials, config);
    }
}
