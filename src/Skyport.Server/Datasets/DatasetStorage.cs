using Skyport.Server.Configuration;

namespace Skyport.Server.Datasets;

/// <summary>
/// Where dataset bytes live: one file per dataset under the data folder, named by its uuid.
/// New bytes are written to a temporary file on the same filesystem and moved into place only
/// once complete, so a reader never sees a partial dataset.
/// </summary>
public sealed class DatasetStorage(DataDirectory data)
{
    public string PathFor(Guid uuid)
    {
        var name = uuid.ToString("N");
        return Path.Combine(data.Files, name[..2], name + ".dat");
    }

    public bool Exists(Guid uuid) => File.Exists(PathFor(uuid));

    public FileStream OpenRead(Guid uuid) =>
        new(PathFor(uuid), new FileStreamOptions { Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read, Options = FileOptions.Asynchronous | FileOptions.SequentialScan, BufferSize = 0 });

    /// <summary>A fresh path in the temporary folder (same filesystem as the files, so the final move is atomic).</summary>
    public string NewTempPath() => Path.Combine(data.Temp, Guid.NewGuid().ToString("N") + ".part");

    public static FileStream CreateTempFile(string path) =>
        new(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.Asynchronous, BufferSize = 0 });

    /// <summary>Moves a complete temporary file into place as the bytes of <paramref name="uuid"/>, after flushing it to disk.</summary>
    public void Commit(string tempPath, Guid uuid)
    {
        using (var handle = File.OpenHandle(tempPath, FileMode.Open, FileAccess.ReadWrite))
        {
            RandomAccess.FlushToDisk(handle);
        }
        var target = PathFor(uuid);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        File.Move(tempPath, target, overwrite: true);
    }

    public void Delete(Guid uuid)
    {
        try
        {
            File.Delete(PathFor(uuid));
        }
        catch (DirectoryNotFoundException)
        {
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
