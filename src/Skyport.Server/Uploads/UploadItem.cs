using Skyport.Server.Datasets;

namespace Skyport.Server.Uploads;

/// <summary>One dataset to create from an upload request: where its bytes come from and how to import them.</summary>
public sealed record UploadItem(string? SessionId, Uri? Url, string Name, string Dbkey, ImportOptions Import);

/// <summary>What an upload job keeps in its parameters (no secrets: a session id is only usable by its owner).</summary>
public sealed record UploadJobParameters(string? SessionId, string? Url, string Extension, bool ToPosixLines, bool SpaceToTab, bool AutoDecompress)
{
    public ImportOptions Import => new(Extension, ToPosixLines, SpaceToTab, AutoDecompress);
}

public sealed record JobSummary(string Id, string ToolId, string State, string HistoryId, DateTime CreateTime, DateTime UpdateTime)
{
    public string ModelClass => "Job";
}

/// <summary>Galaxy's answer to running a tool: the new datasets and the jobs that will fill them.</summary>
public sealed record ToolResponse(IReadOnlyList<DatasetSummary> Outputs, IReadOnlyList<JobSummary> Jobs)
{
    public IReadOnlyList<object> OutputCollections => [];
    public IReadOnlyList<object> ImplicitCollections => [];
}
