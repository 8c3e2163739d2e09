namespace Skyport.Server.Datasets.Storage;

/// <summary>
/// Where the bytes of datasets rest, addressed by the dataset's uuid: the local folder or an S3-compatible bucket
/// (<c>Skyport:DatasetStorage</c>). New bytes are always written and hashed in the local staging area first
/// (<see cref="DatasetStorage"/>) and only then committed here, so a store never holds a partial dataset.
/// </summary>
public interface IDatasetStore
{
    /// <summary>Where the store is, for messages and logs (never with a credential).</summary>
    string Description { get; }

    /// <summary>Fails with a message saying what is wrong when the store cannot be read and written.</summary>
    Task CheckAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Makes the complete staged file the bytes of <paramref name="uuid"/> and verifies that what the store holds has
    /// <paramref name="hashes"/>' size (and, where the store reports them, its MD5 and SHA-256). A failure leaves no
    /// object behind and throws <see cref="Jobs.JobFailedException"/> (final) or <see cref="Jobs.TransientJobException"/>.
    /// The staged file may have been moved away afterwards; the caller deletes it if it is still there.
    /// </summary>
    Task CommitAsync(string stagedPath, Guid uuid, CopyResult hashes, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(Guid uuid, CancellationToken cancellationToken);

    /// <summary>The file holding the bytes when they are on a local (or mounted) filesystem; null for a remote store.</summary>
    string? LocalPath(Guid uuid);

    /// <summary>A stream over bytes [offset, offset + length) of the dataset.</summary>
    Task<Stream> OpenReadAsync(Guid uuid, long offset, long length, CancellationToken cancellationToken);

    /// <summary>
    /// A local file with the dataset's bytes, for work that needs random access to a file (parallel part uploads):
    /// the stored file itself when local; otherwise a copy in the staging area, checked against <paramref name="expected"/>
    /// and deleted when the returned file is disposed.
    /// </summary>
    Task<LocalDatasetFile> GetLocalFileAsync(Guid uuid, CopyResult expected, CancellationToken cancellationToken);

    /// <summary>Removes the bytes; a missing object is fine.</summary>
    Task DeleteAsync(Guid uuid, CancellationToken cancellationToken);
}

/// <summary>A local file with a dataset's bytes; disposing it removes it when it was a temporary copy.</summary>
public sealed class LocalDatasetFile(string path, bool temporary) : IDisposable
{
    public string Path { get; } = path;

    public void Dispose()
    {
        if (temporary)
        {
            DatasetStorage.DeleteTemp(Path);
        }
    }
}

public static class DatasetStoreExtensions
{
    /// <summary>
    /// Removes the bytes of a dataset that will not use them (purged, or discarded while its import finished) after its
    /// row says so. A store failure is logged, not raised: the row stands and the object is an orphan (named in the log)
    /// rather than the request or job failing half-way.
    /// </summary>
    public static async Task DeleteQuietlyAsync(this IDatasetStore store, Guid uuid, ILogger logger)
    {
        try
        {
            await store.DeleteAsync(uuid, CancellationToken.None);
        }
        catch (Exception e) when (e is Cloud.Storage.StorageException or IOException or UnauthorizedAccessException)
        {
            logger.LogWarning("Could not remove the bytes of dataset {Uuid} (purged or discarded) from {Store}: {Reason}", uuid, store.Description, e.Message);
        }
    }
}
