using Skyport.Server.Configuration;

namespace Skyport.Server.Uploads;

public sealed class UploadOptions : IValidatedOptions
{
    public const string Section = "Skyport:Uploads";

    /// <summary>Allow URL fetches from loopback, private, link-local and other internal addresses (off: a server must not be a proxy into its own network).</summary>
    public bool AllowPrivateUrls { get; set; }

    /// <summary>Largest single upload or URL fetch, in bytes.</summary>
    public long MaxUploadBytes { get; set; } = 1L << 40;

    /// <summary>How long an unfinished resumable upload is kept.</summary>
    public double SessionHours { get; set; } = 24;

    /// <summary>Seconds to wait for a URL's server to connect and start answering.</summary>
    public double UrlTimeoutSeconds { get; set; } = 60;

    public IEnumerable<string> Validate(string section)
    {
        if (MaxUploadBytes < 1)
        {
            yield return $"{section}:MaxUploadBytes must be positive (got {MaxUploadBytes}).";
        }
        if (SessionHours is <= 0 or > 24 * 30)
        {
            yield return $"{section}:SessionHours must be between 0 and 720 (got {SessionHours}).";
        }
        if (UrlTimeoutSeconds is <= 0 or > 3600)
        {
            yield return $"{section}:UrlTimeoutSeconds must be between 0 and 3600 (got {UrlTimeoutSeconds}).";
        }
    }
}
