using Skyport.Server.Configuration;

namespace Skyport.Server.Cloud.Credentials;

/// <summary>
/// <c>Skyport:Cloud</c>: the token services the broker talks to. Defaults are the public clouds'; every
/// endpoint can be pointed elsewhere (S3-compatible stores with their own STS, sovereign clouds, tests).
/// </summary>
public sealed class CloudOptions : IValidatedOptions
{
    public const string Section = "Skyport:Cloud";

    public AwsCloudOptions Aws { get; set; } = new();
    public AzureCloudOptions Azure { get; set; } = new();
    public GcpCloudOptions Gcp { get; set; } = new();

    /// <summary>How long an idle set of credentials is kept for reuse (they renew themselves while in use).</summary>
    public double CredentialCacheMinutes { get; set; } = 20;

    public IEnumerable<string> Validate(string section)
    {
        foreach (var (key, value) in new[]
                 {
                     ("Aws:StsEndpoint", Aws.StsEndpoint), ("Azure:AuthorityHost", Azure.AuthorityHost),
                     ("Gcp:StsTokenUrl", Gcp.StsTokenUrl), ("Gcp:IamUrl", Gcp.IamUrl), ("Gcp:StorageUrl", Gcp.StorageUrl),
                 })
        {
            if (value is not null && (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            {
                yield return $"{section}:{key} must be an http(s) URL (got '{value}').";
            }
        }
        if (Gcp.UploadChunkMiB is < 1 or > 1024)
        {
            yield return $"{section}:Gcp:UploadChunkMiB must be between 1 and 1024 (got {Gcp.UploadChunkMiB}).";
        }
        if (CredentialCacheMinutes is < 0 or > 24 * 60)
        {
            yield return $"{section}:CredentialCacheMinutes must be between 0 and 1440 (got {CredentialCacheMinutes}).";
        }
    }
}

public sealed class AwsCloudOptions
{
    /// <summary>STS endpoint; empty means AWS's regional endpoint for <see cref="Region"/>.</summary>
    public string? StsEndpoint { get; set; }
    public string Region { get; set; } = "us-east-1";
}

public sealed class AzureCloudOptions
{
    public string AuthorityHost { get; set; } = "https://login.microsoftonline.com/";
    /// <summary>Skip Entra's instance discovery (needed for authorities it does not know, such as test doubles).</summary>
    public bool DisableInstanceDiscovery { get; set; }
}

public sealed class GcpCloudOptions
{
    public string StsTokenUrl { get; set; } = "https://sts.googleapis.com/v1/token";
    public string IamUrl { get; set; } = "https://iamcredentials.googleapis.com";

    /// <summary>The Cloud Storage JSON API root; empty means Google's.</summary>
    public string? StorageUrl { get; set; }

    /// <summary>Resumable upload chunk (MiB), streamed from the file: larger chunks mean fewer round trips and no more memory.</summary>
    public int UploadChunkMiB { get; set; } = 16;
}
