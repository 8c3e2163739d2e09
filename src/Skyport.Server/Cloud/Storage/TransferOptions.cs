using Skyport.Server.Configuration;

namespace Skyport.Server.Cloud.Storage;

/// <summary><c>Skyport:Transfers</c>: how get and send move bytes.</summary>
public sealed class TransferOptions : IValidatedOptions
{
    public const string Section = "Skyport:Transfers";

    /// <summary>Objects at least this large move in parallel parts.</summary>
    public int MultipartThresholdMiB { get; set; } = 16;

    /// <summary>Size of each part (S3 needs at least 5 MiB for all but the last).</summary>
    public int PartSizeMiB { get; set; } = 8;

    /// <summary>Parts of one object in flight at once. Memory is bounded by this times the part size at most.</summary>
    public int PartConcurrency { get; set; } = 8;

    /// <summary>Concurrent existence checks while validating a request with many objects.</summary>
    public int CheckConcurrency { get; set; } = 32;

    /// <summary>Most objects one get request (including a prefix import) may queue.</summary>
    public int MaxObjectsPerRequest { get; set; } = 10_000;

    public long PartSize => (long)PartSizeMiB << 20;
    public long MultipartThreshold => (long)MultipartThresholdMiB << 20;

    public IEnumerable<string> Validate(string section)
    {
        if (PartSizeMiB is < 5 or > 512)
        {
            yield return $"{section}:PartSizeMiB must be between 5 and 512 (got {PartSizeMiB}).";
        }
        if (MultipartThresholdMiB < PartSizeMiB)
        {
            yield return $"{section}:MultipartThresholdMiB must be at least {section}:PartSizeMiB.";
        }
        if (PartConcurrency is < 1 or > 64)
        {
            yield return $"{section}:PartConcurrency must be between 1 and 64 (got {PartConcurrency}).";
        }
        if (CheckConcurrency is < 1 or > 256)
        {
            yield return $"{section}:CheckConcurrency must be between 1 and 256 (got {CheckConcurrency}).";
        }
        if (MaxObjectsPerRequest is < 1 or > 100_000)
        {
            yield return $"{section}:MaxObjectsPerRequest must be between 1 and 100000 (got {MaxObjectsPerRequest}).";
        }
    }
}
