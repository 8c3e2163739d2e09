using Skyport.Server.Configuration;

namespace Skyport.Server.Datasets;

/// <summary>
/// The local staging area of dataset bytes (<c>DATA/tmp</c>): everything received is written and hashed here first,
/// then committed to the dataset store (<see cref="Storage.IDatasetStore"/>), so a store never holds partial data.
/// It stays local whatever the store is; with the local store it is on the same filesystem, so a commit is a rename.
/// </summary>
public sealed class DatasetStorage(DataDirectory data)
{
    /// <summary>A fresh path in the temporary folder (same filesystem as the local store's files, so moving there is atomic).</summary>
    public string NewTempPath() => Path.Combine(data.Temp, Guid.NewGuid().ToString("N") + ".part");

    public static FileStream CreateTempFile(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.Asynchronous, BufferSize = 0 });

    /// <summary>
    /// Opens a staged file to be written from its start: created, or emptied when an earlier attempt left one. A new file
    /// is not truncated (<see cref="FileMode.Create"/> would): on ext4 a truncation to zero makes the file's close start
    /// writing it back (its <c>auto_da_alloc</c> heuristic), which for thousands of small gets cost ~5% of the server's
    /// CPU in a profile; the commit's fsync writes it once instead.
    /// </summary>
    public static FileStream OpenEmptyTempFile(string path)
    {
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.None, FileOptions.Asynchronous);
        try
        {
            if (RandomAccess.GetLength(handle) > 0)
            {
                RandomAccess.SetLength(handle, 0);
            }
            return new FileStream(handle, FileAccess.Write, bufferSize: 0, isAsync: true);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public static void DeleteTemp(string? path)
    {
        if (path is null)
        {
            return;
        }
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: stale temporary files are removed by the StorageSweeper.
        }
    }
}
