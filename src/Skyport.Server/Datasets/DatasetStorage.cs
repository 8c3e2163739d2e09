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
