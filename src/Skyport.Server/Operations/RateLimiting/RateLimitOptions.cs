using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.RateLimiting;

/// <summary>
/// <c>Skyport:RateLimits</c>: a token bucket per signed-in user, and per client address for anonymous
/// requests. A bucket holds <c>Burst</c> requests and refills at <c>PerMinute</c>; an empty bucket answers 429.
/// </summary>
public sealed class RateLimitOptions : IValidatedOptions
{
    public const string Section = "Skyport:RateLimits";

    public bool Enabled { get; set; } = true;

    /// <summary>Sustained requests per minute of one user (API key or session).</summary>
    public int UserPerMinute { get; set; } = 3000;

    /// <summary>Requests one user may make at once before the sustained rate applies.</summary>
    public int UserBurst { get; set; } = 500;

    /// <summary>Sustained requests per minute from one client address without credentials.</summary>
    public int AnonymousPerMinute { get; set; } = 300;

    public int AnonymousBurst { get; set; } = 100;

    public IEnumerable<string> Validate(string section)
    {
        foreach (var (key, value) in new[] { ("UserPerMinute", UserPerMinute), ("UserBurst", UserBurst), ("AnonymousPerMinute", AnonymousPerMinute), ("AnonymousBurst", AnonymousBurst) })
        {
            if (value is < 1 or > 1_000_000)
            {
                yield return $"{section}:{key} must be between 1 and 1000000 (got {value}).";
            }
        }
    }
}
