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

    /// <summary>
    /// Up to this many small jobs of one user and tool are claimed together and run one after another by one worker, sharing
    /// the claim and its database connection: for a 4 KiB object the job's own bookkeeping costs more than the transfer.
    /// A worker takes no more than its share of the ready jobs (their number over <see cref="Workers"/>), so a few jobs still
    /// spread over the workers. 1 claims every job alone. 32 rather than 16 cut a small get's server CPU by another ~10%
    /// (bench/README.md); 64 gained nothing more.
    /// </summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>A job is batched only when its tool allows it and it is known to move at most this many bytes.</summary>
    public long BatchJobMaxBytes { get; set; } = 1 << 20;

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
        if (BatchSize is < 1 or > 256)
        {
            yield return $"{section}:BatchSize must be between 1 and 256 (got {BatchSize}).";
        }
        if (BatchJobMaxBytes < 0)
        {
            yield return $"{section}:BatchJobMaxBytes must not be negative (got {BatchJobMaxBytes}).";
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
