using Skyport.Server.Datasets;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// A cloud get job's parameters: one object into one dataset. No secrets: credentials come from the broker at run time.
/// <see cref="Size"/> is the size seen when the request was checked (absent on jobs queued by older versions): small objects
/// are then fetched in one request, without a HEAD first.
/// </summary>
public sealed record CloudGetParameters(long AuthzId, string Bucket, string Key, string Extension, bool ToPosixLines, bool SpaceToTab, long? Size = null)
{
    public ImportOptions Import => new(Extension, ToPosixLines, SpaceToTab, AutoDecompress: false);
}

/// <summary>A cloud send job's parameters: one dataset to one object key (before conflict handling).</summary>
public sealed record CloudSendParameters(long AuthzId, string Bucket, string Key, ConflictPolicy OnConflict);

public enum ConflictPolicy
{
    /// <summary>Keep the existing object; send to the key with Galaxy's <c>_YYMMDD_HHMMSS</c> suffix.</summary>
    Rename,
    Overwrite,
    Skip,
}

/// <summary>Answer of a dry run: what a get would import.</summary>
public sealed record GetDryRun(IReadOnlyList<GetDryRunObject> Objects, int Count, long Bytes);

public sealed record GetDryRunObject(string Key, long Size);

/// <summary>The seam's exact wire format: each label is a JSON-encoded string, not an object.</summary>
public sealed record SendResponse(IReadOnlyList<string> SentDatasetLabels, IReadOnlyList<string> FailedDatasetLabels, string BucketName);

public sealed record ListedObject(string Key, long Size, DateTime? LastModified, string? Etag);

public sealed record BucketListing(string Bucket, string? Prefix, IReadOnlyList<ListedObject> Objects, IReadOnlyList<string> Prefixes, string? NextPageToken);
