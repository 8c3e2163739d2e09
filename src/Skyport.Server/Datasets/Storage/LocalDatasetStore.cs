using Skyport.Server.Configuration;
using Skyport.Server.Jobs;

namespace Skyport.Server.Datasets.Storage;

/// <summary>
/// The default store: one file per dataset under the data folder (<c>DATA/files/xx/{uuid}.dat</c>), which may be
/// on a shared filesystem. A commit renames the complete staged file into place (same filesystem: atomic) and flushes
/// it to the disk, so a reader never sees a partial dataset and an ok dataset's file survives a crash.
/// </summary>
public sealed class LocalDatasetStore(DataDirectory data) : IDatasetStore
{
    public string Description => $"local folder {data.Files}";

    public Task CheckAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(data.Files);
        return Task.CompletedTask;
    }

    public string PathFor(Guid uuid)
    {
        var name = uuid.ToString("N");
        return Path.Combine(data.Files, name[..2], name + ".dat");
    }

    public string? LocalPath(Guid uuid) => PathFor(uuid);

    public Task<bool> ExistsAsync(Guid uuid, CancellationToken cancellationToken) => Task.FromResult(File.Exists(PathFor(uuid)));

    public Task CommitAsync(string stagedPath, Guid uuid, CopyResult hashes, CancellationToken cancellationToken)
    {
        var target = PathFor(uuid);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        // Renamed first, flushed second, so that the flush also makes the new name durable: a journaling file system
        // (ext4, XFS) commits the rename with the file's fsync, and ext4 without a journal syncs the directory a file
        // was just added to. Flushed first, the name could still be lost after the dataset became ok. The renamed file is
        // already whole (a reader sees every byte); only its durability waits for the flush, and the dataset becomes ok
        // after the commit. An earlier attempt's file is removed first, so that the name is a new entry (ext4 syncs the
        // directory of new entries only).
        File.Delete(target);
        File.Move(stagedPath, target, overwrite: true);
        long stored;
        try
        {
            using var handle = File.OpenHandle(target, FileMode.Open, FileAccess.ReadWrite);
            RandomAccess.FlushToDisk(handle);
            stored = RandomAccess.GetLength(handle);
        }
        catch
        {
            Delete(uuid);
            throw;
        }
        if (stored != hashes.Length)
        {
            Delete(uuid);
            throw new JobFailedException($"Stored file has {stored} bytes but {hashes.Length} were written; the dataset was not kept.");
        }
        return Task.CompletedTask;
    }

    public Task<Stream> OpenReadAsync(Guid uuid, long offset, long length, CancellationToken cancellationToken) =>
        Task.FromResult<Stream>(new Cloud.Storage.FileSegmentStream(PathFor(uuid), offset, length));

    public Task<LocalDatasetFile> GetLocalFileAsync(Guid uuid, CopyResult expected, CancellationToken cancellationToken) =>
        Task.FromResult(new LocalDatasetFile(PathFor(uuid), temporary: false));

    public Task DeleteAsync(Guid uuid, CancellationToken cancellationToken)
    {
        Delete(uuid);
        return Task.CompletedTask;
    }

    private void Delete(Guid uuid)
    {
        try
        {
            File.Delete(PathFor(uuid));
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
