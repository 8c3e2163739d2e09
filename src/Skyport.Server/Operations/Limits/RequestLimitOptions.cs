using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.Limits;

/// <summary><c>Skyport:Limits</c>: the largest request bodies. TUS chunks are bounded by their upload's declared length instead.</summary>
public sealed class RequestLimitOptions : IValidatedOptions
{
    public const string Section = "Skyport:Limits";

    /// <summary>Any request body (multipart uploads to <c>/api/tools</c> included), in MiB.</summary>
    public int MaxBodyMiB { get; set; } = 30;

    /// <summary>JSON request bodies, in MiB (pasted content in <c>/api/tools/fetch</c> is the largest legitimate one).</summary>
    public int MaxJsonBodyMiB { get; set; } = 16;

    public long MaxBodyBytes => (long)MaxBodyMiB << 20;
    public long MaxJsonBodyBytes => (long)MaxJsonBodyMiB << 20;

    public IEnumerable<string> Validate(string section)
    {
        if (MaxBodyMiB is < 1 or > 1 << 20)
        {
            yield return $"{section}:MaxBodyMiB must be between 1 and 1048576 (got {MaxBodyMiB}).";
        }
        if (MaxJsonBodyMiB < 1 || MaxJsonBodyMiB > MaxBodyMiB)
        {
            yield return $"{section}:MaxJsonBodyMiB must be between 1 and {section}:MaxBodyMiB (got {MaxJsonBodyMiB}).";
        }
    }
}
