using Skyport.Server.Cloud.Storage;
using Skyport.Server.Uploads;

namespace Skyport.Server.Operations.OpenApi;

// Optional fields default to null, so the schema marks only the others required.
// The bodies that services read leniently from JSON (Galaxy accepts loose types, so they are not bound to
// records): described here for the OpenAPI document only. Each record names the service that reads it.

/// <summary>Read by <see cref="CloudGetService"/>. Either <c>objects</c> or <c>prefix</c>.</summary>
public sealed record CloudGetBody(string HistoryId, string AuthzId, string Bucket, IReadOnlyList<string>? Objects = null, string? Prefix = null, int? MaxObjects = null, bool? DryRun = null, CloudGetInputArgs? InputArgs = null);

public sealed record CloudGetInputArgs(string? Dbkey = null, string? FileType = null, bool? ToPosixLines = null, bool? SpaceToTab = null);

/// <summary>Read by <see cref="CloudSendService"/>. <c>on_conflict</c>: rename, overwrite or skip.</summary>
public sealed record CloudSendBody(string HistoryId, string AuthzId, string Bucket, IReadOnlyList<string>? DatasetIds = null, bool? OverwriteExisting = null, string? OnConflict = null, string? KeyPrefix = null);

/// <summary>Read by <see cref="FetchRequestParser"/>.</summary>
public sealed record FetchBody(string HistoryId, IReadOnlyList<FetchTarget> Targets, bool? AutoDecompress = null);

public sealed record FetchTarget(FetchDestination Destination, IReadOnlyList<FetchElement> Elements);

public sealed record FetchDestination(string Type);

/// <summary><c>src</c>: <c>files</c> (with <c>session_id</c> of a TUS upload), <c>url</c> or <c>pasted</c>.</summary>
public sealed record FetchElement(string Src, string? Url = null, string? PasteContent = null, string? SessionId = null, string? Ext = null, string? Dbkey = null, string? Name = null, bool? ToPosixLines = null, bool? SpaceToTab = null, bool? AutoDecompress = null);

/// <summary><c>POST /api/tools</c>: Galaxy's upload1 tool as JSON or multipart form (<c>files_0|file_data</c>, <c>files_0|url_paste</c>, <c>file_type</c>, <c>dbkey</c>).</summary>
public sealed record Upload1Body(string HistoryId, string ToolId, Dictionary<string, object>? Inputs = null);
