using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;
using Skyport.Server.Datasets;
using Skyport.Server.Datasets.Storage;
using Skyport.Server.Jobs;

namespace Skyport.Tests.DatasetStorage;

/// <summary>The local store's commit: the staged file becomes the dataset's file, whole, or nothing is kept.</summary>
public sealed class LocalDatasetStoreTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("skyport-local-store-").FullName;
    private readonly DataDirectory _data;
    private readonly LocalDatasetStore _store;

    public LocalDatasetStoreTests()
    {
        _data = new DataDirectory(Options.Create(new SkyportOptions { DataDir = _root }));
        _store = new LocalDatasetStore(_data);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Commit_MovesTheStagedFileIntoPlace()
    {
        var uuid = Guid.NewGuid();
        var staged = await StageAsync("ACGT\n"u8.ToArray());

        await _store.CommitAsync(staged, uuid, Sizes(5), CancellationToken.None);

        Assert.False(File.Exists(staged));
        Assert.Equal("ACGT\n"u8.ToArray(), await File.ReadAllBytesAsync(_store.PathFor(uuid)));
        Assert.StartsWith(_data.Files, _store.PathFor(uuid));
    }

    [Fact]
    public async Task Commit_ReplacesWhatAnEarlierAttemptStored()
    {
        var uuid = Guid.NewGuid();
        await _store.CommitAsync(await StageAsync(new byte[10_000]), uuid, Sizes(10_000), CancellationToken.None);

        await _store.CommitAsync(await StageAsync("retried"u8.ToArray()), uuid, Sizes(7), CancellationToken.None);

        Assert.Equal("retried"u8.ToArray(), await File.ReadAllBytesAsync(_store.PathFor(uuid)));
    }

    [Fact]
    public async Task Commit_OfFewerBytesThanWritten_KeepsNothing()
    {
        var uuid = Guid.NewGuid();
        var staged = await StageAsync("short"u8.ToArray());

        var failure = await Assert.ThrowsAsync<JobFailedException>(() => _store.CommitAsync(staged, uuid, Sizes(6), CancellationToken.None));

        Assert.Equal("Stored file has 5 bytes but 6 were written; the dataset was not kept.", failure.Message);
        Assert.False(File.Exists(_store.PathFor(uuid)));
        Assert.False(await _store.ExistsAsync(uuid, CancellationToken.None));
    }

    private async Task<string> StageAsync(byte[] bytes)
    {
        var path = Path.Combine(_data.Temp, Guid.NewGuid().ToString("N") + ".part");
        await File.WriteAllBytesAsync(path, bytes);
        return path;
    }

    private static CopyResult Sizes(long length) => new(length, "md5", "sha256");
}
