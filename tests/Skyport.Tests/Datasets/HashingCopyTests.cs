using System.Security.Cryptography;
using Skyport.Server.Datasets;

namespace Skyport.Tests.Datasets;

public class HashingCopyTests
{
    [Theory]
    [InlineData(0L, 4096)]
    [InlineData(100L, 4096)]
    [InlineData(4096L, 4096)]
    [InlineData(4097L, 8192)]
    [InlineData(300_000L, 524_288)]
    [InlineData((1L << 20) - 1, 1 << 20)]
    [InlineData(1L << 20, 1 << 20)]
    [InlineData(5L << 30, 1 << 20)]
    public void BufferSize_FollowsAKnownLength_UpToOneMiB(long expected, int size)
    {
        Assert.Equal(size, HashingCopy.BufferSizeFor(Stream.Null, expected));
    }

    [Fact]
    public void BufferSize_OfAFile_IsWhatIsLeftOfIt_AndOfAnyOtherStreamWithoutALengthTheMaximum()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, new byte[10_000]);
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read) { Position = 9_000 };

            Assert.Equal(4096, HashingCopy.BufferSizeFor(file, null));
        }
        finally
        {
            File.Delete(path);
        }
        // Seekable but not a file (like a multipart section over a buffered body, which reports what it has read so far).
        Assert.Equal(HashingCopy.MaxBufferSize, HashingCopy.BufferSizeFor(new MemoryStream(new byte[10]), null));
        Assert.Equal(HashingCopy.MaxBufferSize, HashingCopy.BufferSizeFor(new NonSeekable(new MemoryStream()), null));
    }

    /// <summary>A wrong expected length only sizes the buffers: the bytes and hashes are still the whole stream's.</summary>
    [Theory]
    [InlineData(5_000, 5_000L)]
    [InlineData(3_000_000, 100L)]
    [InlineData(4_096, 4_096L)]
    [InlineData(70_000, null)]
    public async Task Copy_WithAnyExpectedLength_CopiesAndHashesEveryByte(int length, long? expected)
    {
        var data = RandomBytes(length);
        using var destination = new MemoryStream();

        var result = await HashingCopy.CopyAsync(new NonSeekable(new MemoryStream(data)), destination, null, CancellationToken.None, expected);

        AssertWholeStream(data, destination.ToArray(), result);
    }

    /// <summary>
    /// Into a file opened as the downloader opens it: blocks up to 64 KiB are hashed and written on the calling thread,
    /// larger ones on the pool, and a copy of many small blocks (a trickling stream with a small expected length) mixes
    /// neither up: every byte lands in order and the hashes are the whole stream's.
    /// </summary>
    [Theory]
    [InlineData(4_096, 4_096L)]
    [InlineData(65_536, 65_536L)]
    [InlineData(65_537, 65_537L)]
    [InlineData(3_000_000, 100L)]
    [InlineData(3_000_000, null)]
    public async Task Copy_IntoAFile_WritesAndHashesEveryByteInOrder(int length, long? expected)
    {
        var data = RandomBytes(length);
        var path = Path.Combine(Path.GetTempPath(), $"skyport-hashing-{Guid.NewGuid():N}");
        try
        {
            CopyResult result;
            await using (var file = new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous, BufferSize = 0 }))
            {
                result = await HashingCopy.CopyAsync(new NonSeekable(new MemoryStream(data)), file, null, CancellationToken.None, expected);
            }

            AssertWholeStream(data, await File.ReadAllBytesAsync(path), result);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] RandomBytes(int length)
    {
        var data = new byte[length];
        new Random(length).NextBytes(data);
        return data;
    }

    private static void AssertWholeStream(byte[] data, byte[] copied, CopyResult result)
    {
        Assert.Equal(data, copied);
        Assert.Equal(data.Length, result.Length);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(data)), result.Md5);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(data)), result.Sha256);
    }

    [Fact]
    public async Task Copy_OfMoreThanTheLimit_WithBuffersOfExactlyTheLimit_IsRefused()
    {
        var data = new byte[8192 + 1];
        using var destination = new MemoryStream();

        await Assert.ThrowsAsync<Skyport.Server.Galaxy.PayloadTooLargeException>(() => HashingCopy.CopyAsync(new NonSeekable(new MemoryStream(data)), destination, null,
            limit: 8192, null, CancellationToken.None, expectedLength: 8192));

        Assert.Equal(8192, destination.Length);
    }

    /// <summary>A network-like stream: it cannot tell its length, and hands out at most 1,000 bytes per read.</summary>
    private sealed class NonSeekable(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 1000));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer[..Math.Min(buffer.Length, 1000)], cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
