namespace Skyport.Server.Histories;

public sealed record HistorySummary(
    string Id,
    string Name,
    bool Deleted,
    bool Purged,
    int Count,
    DateTime CreateTime,
    DateTime UpdateTime,
    string Url)
{
    public string ModelClass => "History";
    public IReadOnlyList<string> Tags => [];
    public bool Published => false;
}

public sealed record HistoryDetails(
    string Id,
    string Name,
    string? Annotation,
    string UserId,
    bool Deleted,
    bool Purged,
    int Count,
    int HidCounter,
    long Size,
    string NiceSize,
    string State,
    IReadOnlyDictionary<string, int> StateDetails,
    bool Empty,
    DateTime CreateTime,
    DateTime UpdateTime,
    string Url,
    string ContentsUrl)
{
    public string ModelClass => "History";
    public IReadOnlyList<string> Tags => [];
    public bool Published => false;
    public bool Importable => false;
    public string GenomeBuild => "?";
}

public sealed record CreateHistoryRequest(string? Name);

public sealed record UpdateHistoryRequest(string? Name, string? Annotation, bool? Deleted);

public sealed record HistoryListQuery(bool? Deleted, int? Limit, int? Offset, string[] Q, string[] Qv);
