using Skyport.Server.Configuration;
using Skyport.Server.Jobs;

namespace Skyport.Server.Datasets.Storage;

/// <summary>
/// The default store: one file per dataset under the data folder (<c>DATA/files/xx/{uuid}.dat</c>), which may be
/// on a shared filesystem. A commit flushes the staged file and renames it into place (same filesystem: atomic),
/// so a reader never sees a partial dataset.
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
        using (var handle = File.OpenHandle(stagedPath, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.FlushToDisk(handle);
        }
        var target = PathFor(uuid);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(stagedPath, target, overwrite: true);
        var stored = new FileInfo(target).Length;
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
