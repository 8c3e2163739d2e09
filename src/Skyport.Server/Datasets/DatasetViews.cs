namespace Skyport.Server.Datasets;

/// <summary>An item of <c>GET /api/histories/{id}/contents</c> (Galaxy's summary view, plus <c>file_size</c>).</summary>
public sealed record DatasetContentItem(
    string Id,
    int Hid,
    string Name,
    string State,
    string Extension,
    long FileSize,
    bool Deleted,
    bool Purged,
    bool Visible,
    string HistoryId,
    DateTime CreateTime,
    DateTime UpdateTime,
    string Url)
{
    public string HistoryContentType => "dataset";
    public string Type => "file";
    public string TypeId => $"dataset-{Id}";
    public string ModelClass => "HistoryDatasetAssociation";
}

public sealed record DatasetHash(string HashFunction, string HashValue)
{
    public string ModelClass => "DatasetHash";
}

/// <summary>Galaxy's detailed dataset view (<c>GET /api/datasets/{id}</c>).</summary>
public sealed record DatasetDetails(
    string Id,
    int Hid,
    string Name,
    string State,
    string Extension,
    long FileSize,
    string GenomeBuild,
    string? MiscInfo,
    string? MiscBlurb,
    string? Peek,
    DateTime CreateTime,
    DateTime UpdateTime,
    string HistoryId,
    bool Deleted,
    bool Purged,
    bool Visible,
    Guid Uuid,
    IReadOnlyList<DatasetHash> Hashes,
    string? CreatingJob,
    string Url,
    string DownloadUrl)
{
    public string FileExt => Extension;
    public string MetadataDbkey => GenomeBuild;
    public string NiceSize => Galaxy.ByteSize.Nice(FileSize);
    public string ModelClass => "HistoryDatasetAssociation";
    public string HistoryContentType => "dataset";
    public string HdaLdda => "hda";
    public string ApiType => "file";
    public string Type => "file";
    public bool Accessible => true;
    public bool Resubmitted => false;
    public IReadOnlyList<string> Tags => [];
}

public sealed record UpdateDatasetRequest(
    string? Name,
    string? GenomeBuild,
    string? Dbkey,
    string? Extension,
    string? FileExt,
    bool? Deleted,
    bool? Visible);

public sealed record ContentsQuery(int? Limit, int? Offset, bool? Deleted, bool? Visible, string? Types);

public static class DatasetViews
{
    public static string StateName(DatasetState state) => state.ToString().ToLowerInvariant();
}

/// <summary>A dataset as a tool (upload, cloud get) reports it when queueing: Galaxy's summary of a new output.</summary>
public sealed record DatasetSummary(
    string Id,
    int Hid,
    string Name,
    string State,
    string Extension,
    long FileSize,
    string GenomeBuild,
    string HistoryId,
    Guid Uuid,
    bool Deleted,
    bool Purged,
    bool Visible,
    DateTime CreateTime,
    DateTime UpdateTime,
    string OutputName)
{
    public string ModelClass => "HistoryDatasetAssociation";
    public string HistoryContentType => "dataset";
    public bool Purgable => true;
    public long TotalSize => FileSize;
    public string Url => $"/api/histories/{HistoryId}/contents/{Id}";

    public static DatasetSummary From(Dataset d, Galaxy.IdEncoder ids, string outputName = "output0") =>
        new(ids.Encode(d.Id), d.Hid, d.Name, DatasetViews.StateName(d.State), d.Extension, d.FileSize, d.Dbkey,
            ids.Encode(d.HistoryId), d.Uuid, d.Deleted, d.Purged, d.Visible, d.CreateTime, d.UpdateTime, outputName);
}
