namespace Skyport.Tests.DatasetStorage;

/// <summary>The staging area's files: a download starts from an empty file whether or not an earlier attempt left one.</summary>
public sealed class StagedFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("skyport-staged-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task OpenEmptyTempFile_CreatesAMissingFile()
    {
        var path = Path.Combine(_folder, "job-1.download");

        await using (var file = Server.Datasets.DatasetStorage.OpenEmptyTempFile(path))
        {
            await file.WriteAsync("new"u8.ToArray());
        }

        Assert.Equal("new"u8.ToArray(), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task OpenEmptyTempFile_EmptiesWhatAnEarlierAttemptLeft()
    {
        var path = Path.Combine(_folder, "job-2.download");
        await File.WriteAllBytesAsync(path, new byte[10_000]);

        await using (var file = Server.Datasets.DatasetStorage.OpenEmptyTempFile(path))
        {
            Assert.Equal(0, file.Length);
            await file.WriteAsync("shorter"u8.ToArray());
        }

        Assert.Equal("shorter"u8.ToArray(), await File.ReadAllBytesAsync(path));
    }
}
