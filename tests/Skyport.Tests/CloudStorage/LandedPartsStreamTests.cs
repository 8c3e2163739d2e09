using System.Security.Cryptography;
using Skyport.Server.Cloud.Storage;
using Skyport.Server.Datasets;

namespace Skyport.Tests.CloudStorage;

/// <summary>Hashing a file while its parts land in any order gives the hash of the finished file, and never reads ahead of the parts.</summary>
public sealed class LandedPartsStreamTests : IDisposable
{
    private const int PartSize = 3 << 20;
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"landed-{Guid.NewGuid():N}.bin");

    [Fact]
    public async Task Hash_OfPartsLandingInReverseOrder_IsTheHashOfTheWholeFile()
    {
        var content = RandomNumberGenerator.GetBytes(4 * PartSize + 12345);
        await using var file = new FileStream(_path, FileMode.Create, FileAccess.Write, FileShare.Read); // as the downloader opens it
        file.SetLength(content.Length);
        await using var landed = new LandedPartsStream(_path, content.Length, PartSize, []);
        var hashing = HashingCopy.CopyAsync(landed, Stream.Null, null, CancellationToken.None);

        for (var part = 4; part >= 0; part--)
        {
            var offset = part * PartSize;
            var length = Math.Min(PartSize, content.Length - offset);
            file.Position = offset;
            await file.WriteAsync(content.AsMemory(offset, length));
            await file.FlushAsync();
            landed.Landed(part);
            if (part > 0)
            {
                // Part 0 has not landed: the hash cannot have gone past it, whatever else is on disk.
                await Task.Delay(20);
                Assert.False(hashing.IsCompleted);
            }
        }

        var hashes = await hashing;
        Assert.Equal(content.Length, hashes.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), hashes.Sha256);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(content)), hashes.Md5);
    }

    [Fact]
    public async Task Hash_WithPartsLandedInAnEarlierAttempt_ReadsThemWithoutWaiting()
    {
        var content = RandomNumberGenerator.GetBytes(2 * PartSize);
        await File.WriteAllBytesAsync(_path, content);
        await using var landed = new LandedPartsStream(_path, content.Length, PartSize, [0, 1]);

        var hashes = await HashingCopy.CopyAsync(landed, Stream.Null, null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), hashes.Sha256);
    }

    [Fact]
    public async Task Hash_WaitingForAPartThatNeverLands_StopsWhenCancelled()
    {
        await File.WriteAllBytesAsync(_path, new byte[2 * PartSize]);
        await using var landed = new LandedPartsStream(_path, 2 * PartSize, PartSize, [0]);
        using var stop = new CancellationTokenSource();
        var hashing = HashingCopy.CopyAsync(landed, Stream.Null, null, stop.Token);

        await stop.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => hashing);
    }

    public void Dispose() => File.Delete(_path);
}
