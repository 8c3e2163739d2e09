using Skyport.Server.Configuration;

namespace Skyport.Server.Datasets.Storage;

/// <summary><c>Skyport:DatasetStorage</c>: where dataset bytes rest. The staging area (<c>DATA/tmp</c>, <c>DATA/uploads</c>) stays local.</summary>
public sealed class DatasetStorageOptions : IValidatedOptions
{
    public const string Section = "Skyport:DatasetStorage";
    public const string Local = "local";
    public const string S3 = "s3";

    /// <summary><c>local</c> (the data folder's <c>files/</c>) or <c>s3</c> (an S3-compatible bucket).</summary>
    public string Kind { get; set; } = Local;

    public string? Bucket { get; set; }

    /// <summary>Prepended to every object key, e.g. <c>skyport/</c>.</summary>
    public string Prefix { get; set; } = "";

    /// <summary>An S3-compatible endpoint (MinIO, Ceph RGW, ...); AWS's regional endpoint when empty.</summary>
    public string? ServiceUrl { get; set; }

    public string Region { get; set; } = "us-east-1";

    /// <summary>Address buckets by path rather than by host name; defaults to true with <see cref="ServiceUrl"/>.</summary>
    public bool? ForcePathStyle { get; set; }

    /// <summary>Static keys of the site's own bucket; without them the AWS SDK's default chain (environment, profile, instance role) is used.</summary>
    public string? AccessKeyId { get; set; }

    public string? SecretAccessKey { get; set; }

    /// <summary>Connections to the store; parallel part transfers beyond it queue.</summary>
    public int MaxConnections { get; set; } = 32;

    public IEnumerable<string> Validate(string section)
    {
        if (Kind is not (Local or S3))
        {
            yield return $"{section}:Kind must be '{Local}' or '{S3}' (got '{Kind}').";
            yield break;
        }
        if (Kind == Local)
        {
            if (!string.IsNullOrEmpty(Bucket) || !string.IsNullOrEmpty(ServiceUrl) || !string.IsNullOrEmpty(AccessKeyId) || !string.IsNullOrEmpty(SecretAccessKey))
            {
                yield return $"{section}:Bucket, ServiceUrl and the keys apply only with {section}:Kind = {S3} (Kind is '{Local}').";
            }
            yield break;
        }
        if (string.IsNullOrEmpty(Bucket))
        {
            yield return $"{section}:Bucket is required when {section}:Kind is '{S3}'.";
        }
        else if (Bucket.Length is < 3 or > 63 || !Bucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '.')
                 || !char.IsAsciiLetterOrDigit(Bucket[0]) || !char.IsAsciiLetterOrDigit(Bucket[^1]))
        {
            yield return $"{section}:Bucket must be an S3 bucket name: 3 to 63 lowercase letters, digits, '-' or '.' (got '{Bucket}').";
        }
        if (Prefix.StartsWith('/') || Prefix.Length > 512)
        {
            yield return $"{section}:Prefix must not start with '/' and has at most 512 characters.";
        }
        if (!string.IsNullOrEmpty(ServiceUrl)
            && (!Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")))
        {
            yield return $"{section}:ServiceUrl must be an absolute http(s) URL (got '{ServiceUrl}').";
        }
        if (string.IsNullOrWhiteSpace(Region))
        {
            yield return $"{section}:Region must not be empty.";
        }
        if (string.IsNullOrEmpty(AccessKeyId) != string.IsNullOrEmpty(SecretAccessKey))
        {
            // Never echo either value: the secret is a credential.
            yield return string.IsNullOrEmpty(AccessKeyId)
                ? $"{section}:AccessKeyId is required when {section}:SecretAccessKey is set."
                : $"{section}:SecretAccessKey is required when {section}:AccessKeyId is set.";
        }
        if (MaxConnections is < 1 or > 256)
        {
            yield return $"{section}:MaxConnections must be between 1 and 256 (got {MaxConnections}).";
        }
    }
}
