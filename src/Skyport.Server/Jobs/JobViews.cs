namespace Skyport.Server.Jobs;

public sealed record JobOutput(string Id, string Src, Guid? Uuid);

public sealed record JobProgress(long BytesDone, long? BytesTotal, double? Percent);

/// <summary>Galaxy's job view (<c>GET /api/jobs/{id}</c>) plus transfer progress.</summary>
public sealed record JobView(
    string Id,
    string State,
    string ToolId,
    string? HistoryId,
    DateTime CreateTime,
    DateTime UpdateTime,
    int? ExitCode,
    string Stderr,
    string Info,
    IReadOnlyDictionary<string, JobOutput> Inputs,
    IReadOnlyDictionary<string, JobOutput> Outputs,
    int Attempts,
    JobProgress Progress)
{
    public string ModelClass => "Job";
    public string Stdout => "";
}
