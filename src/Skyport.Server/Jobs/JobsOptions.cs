using Skyport.Server.Configuration;

namespace Skyport.Server.Jobs;

public sealed class JobsOptions : IValidatedOptions
{
    public const string Section = "Skyport:Jobs";

    /// <summary>
    /// Job workers in this process; 0 serves the API only. Jobs mostly wait on networks and disks, so this is more than
    /// the cores: with many small objects, per-object latency is hidden by running several at once.
    /// </summary>
    public int Workers { get; set; } = 8;

    /// <summary>How many times a job may be started before a transient failure becomes final.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>First retry delay; doubles with each attempt up to <see cref="RetryMaxSeconds"/>.</summary>
    public double RetryBaseSeconds { get; set; } = 2;

    public double RetryMaxSeconds { get; set; } = 300;

    /// <summary>A running job whose worker has not renewed its lease for this long is taken over.</summary>
    public double LeaseSeconds { get; set; } = 30;

    /// <summary>How often idle workers look for jobs queued by other processes.</summary>
    public double PollSeconds { get; set; } = 2;

    public TimeSpan Lease => TimeSpan.FromSeconds(LeaseSeconds);
    public TimeSpan Poll => TimeSpan.FromSeconds(PollSeconds);

    public TimeSpan RetryDelay(int attempt) =>
        TimeSpan.FromSeconds(Math.Min(RetryMaxSeconds, RetryBaseSeconds * Math.Pow(2, Math.Max(0, attempt - 1))));

    public IEnumerable<string> Validate(string section)
    {
        if (Workers is < 0 or > 64)
        {
            yield return $"{section}:Workers must be between 0 and 64 (got {Workers}).";
        }
        if (MaxAttempts is < 1 or > 100)
        {
            yield return $"{section}:MaxAttempts must be between 1 and 100 (got {MaxAttempts}).";
        }
        if (RetryBaseSeconds < 0 || RetryMaxSeconds < RetryBaseSeconds)
        {
            yield return $"{section}:RetryBaseSeconds must be >= 0 and at most {section}:RetryMaxSeconds.";
        }
        if (LeaseSeconds is < 1 or > 3600)
        {
            yield return $"{section}:LeaseSeconds must be between 1 and 3600 (got {LeaseSeconds}).";
        }
        if (PollSeconds is <= 0 or > 60)
        {
            yield return $"{section}:PollSeconds must be greater than 0 and at most 60 (got {PollSeconds}).";
        }
    }
}
