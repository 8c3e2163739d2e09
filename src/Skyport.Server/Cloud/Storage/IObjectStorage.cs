namespace Skyport.Server.Cloud.Storage;

/// <summary>An object as a store describes it. <see cref="Md5"/> is set only when the store vouches for the whole object's MD5.</summary>
public sealed record StoredObject(string Key, long Size, string? ETag, DateTime? LastModified, string? Md5, string? Sha256);

public sealed record ObjectListing(IReadOnlyList<StoredObject> Objects, IReadOnlyList<string> Prefixes, string? NextPageToken);

/// <summary>What an upload must produce; the hashes are of the source file and are checked against what the store reports.</summary>
/// <summary>An object's description and its whole body. The caller disposes <see cref="Body"/>.</summary>
public sealed record ObjectRead(StoredObject Object, Stream Body);

public sealed record UploadRequest(string Bucket, string Key, string SourcePath, long Size, string Md5, string Sha256);

/// <summary>
/// One provider's buckets, reached with one set of credentials. The seam between the transfer engine
/// (durable jobs, verification, conflicts) and each cloud's API. Implementations translate provider
/// errors into <see cref="StorageException"/>.
/// </summary>
public interface IObjectStorage : IDisposable
{
    string Provider { get; }

    /// <summary>Fails with <see cref="StorageException"/> when the bucket is missing or not readable with these credentials.</summary>
    Task CheckBucketAsync(string bucket, CancellationToken cancellationToken);

    /// <returns>Null when the object does not exist.</returns>
    Task<StoredObject?> HeadAsync(string bucket, string key, CancellationToken cancellationToken);

    Task<ObjectListing> ListAsync(string bucket, string? prefix, string? delimiter, int limit, string? pageToken, CancellationToken cancellationToken);

    /// <summary>A stream over bytes [offset, offset + length) of the object.</summary>
    Task<Stream> OpenReadAsync(string bucket, string key, long offset, long length, CancellationToken cancellationToken);

    /// <summary>
    /// The whole object with its description, for small objects. Providers whose GET response describes the object
    /// (S3) answer in one round trip instead of a HEAD and a GET; the description is then of exactly the bytes sent.
    /// </summary>
    /// <returns>Null when the object does not exist.</returns>
    async Task<ObjectRead?> ReadAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(bucket, key, cancellationToken);
        return head is null ? null : new ObjectRead(head, await OpenReadAsync(bucket, key, 0, head.Size, cancellationToken));
    }

    /// <summary>
    /// Uploads a complete local file, in parallel parts when large, resuming from <paramref name="checkpoint"/>
    /// (provider-specific JSON saved through <paramref name="saveCheckpoint"/>) after a crash. Stores Skyport's
    /// SHA-256 as object metadata. Returns what the store reports afterwards, for verification.
    /// </summary>
    Task<StoredObject> UploadAsync(UploadRequest request, string? checkpoint, Func<string, Task> saveCheckpoint,
        Action<long> progress, CancellationToken cancellationToken);

    /// <summary>Removes an object (used to take back an upload that failed verification). Missing objects are fine.</summary>
    Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken);

    /// <summary>Abandons an unfinished upload described by <paramref name="checkpoint"/> (cancel): no partial object or parts remain.</summary>
    Task AbortUploadAsync(string bucket, string key, string checkpoint, CancellationToken cancellationToken);
}

/// <summary>What went wrong talking to a store, classified for retries and for the user.</summary>
public sealed class StorageException(string message, StorageFailure failure, Exception? inner = null) : Exception(message, inner)
{
    public StorageFailure Failure { get; } = failure;
}

public enum StorageFailure
{
    /// <summary>Worth retrying: throttling, 5xx, dropped connections.</summary>
    Transient,
    NotFound,
    AccessDenied,
    /// <summary>Anything else the caller must fix (invalid bucket name, bad request).</summary>
    Invalid,
}
