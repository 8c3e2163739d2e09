using System.Buffers;
using System.Security.Cryptography;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Datasets;

public sealed record CopyResult(long Length, string Md5, string Sha256);

/// <summary>MD5 and SHA-256 of a stream of bytes fed in order, possibly across several requests (TUS PATCHes).</summary>
public sealed class ContentHash : IDisposable
{
    private readonly IncrementalHash _md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>How many bytes have been hashed.</summary>
    public long Length { get; private set; }

    /// <summary>
    /// Hashes one block. MD5 is the slowest step (one core manages a few hundred MB/s), so it runs on its own
    /// task while SHA-256 runs here; the returned task completes when both are done.
    /// </summary>
    internal Task AppendAsync(byte[] buffer, int count, CancellationToken cancellationToken)
    {
        if (count <= HashingCopy.InlineBlockSize)
        {
            Append(buffer.AsSpan(0, count));
            return Task.CompletedTask;
        }
        var md5 = Task.Run(() => _md5.AppendData(buffer, 0, count), cancellationToken);
        _sha256.AppendData(buffer, 0, count);
        Length += count;
        return md5;
    }

    private void Append(ReadOnlySpan<byte> block)
    {
        _md5.AppendData(block);
        _sha256.AppendData(block);
        Length += block.Length;
    }

    public CopyResult Finish() =>
        new(Length, Convert.ToHexStringLower(_md5.GetHashAndReset()), Convert.ToHexStringLower(_sha256.GetHashAndReset()));

    public void Dispose()
    {
        _md5.Dispose();
        _sha256.Dispose();
    }
}

/// <summary>
/// Copies a stream while counting and hashing (MD5 and SHA-256) what passes, in bounded memory (two buffers of at
/// most 1 MiB). Every byte is hashed as it is written, so the digests describe exactly what reached the disk.
/// Hashing and writing one buffer overlap with reading the next. When the length is known (a file, an upload's
/// declared length, an object's size) the buffers are no larger than it: pooled 1 MiB arrays rented for 4 KiB
/// objects stayed cached per thread, ~20 MB of large-object heap during a run of small transfers.
/// </summary>
public static class HashingCopy
{
    internal const int MaxBufferSize = 1 << 20;
    private const int MinBufferSize = 4 << 10;

    /// <summary>
    /// Blocks up to this size are hashed and written to a file on the calling thread: handing a few KiB to the thread
    /// pool (MD5 on its own task; a FileStream's asynchronous write, which on Linux is a blocking write queued to the pool)
    /// cost more in thread wake-ups than the work itself, once per object of a run of small transfers.
    /// </summary>
    internal const int InlineBlockSize = 64 << 10;

    /// <param name="expectedLength">The length when the caller knows it and <paramref name="source"/> cannot tell (a network
    /// stream); only sizes the buffers, so a wrong value costs speed, never bytes.</param>
    public static async Task<CopyResult> CopyAsync(Stream source, Stream destination, Action<long>? progress, CancellationToken cancellationToken,
        long? expectedLength = null)
    {
        using var hash = new ContentHash();
        await CopyAsync(source, destination, hash, long.MaxValue, progress, cancellationToken, expectedLength);
        return hash.Finish();
    }

    /// <summary>
    /// The buffer size for a copy of <paramref name="expectedLength"/> bytes (or what is left of a file): that length
    /// rounded up to a power of two, within bounds. Other seekable streams are not asked: a multipart section over a
    /// buffered request body, for one, is seekable and reports only the length read so far.
    /// </summary>
    internal static int BufferSizeFor(Stream source, long? expectedLength)
    {
        var length = expectedLength ?? (source is FileStream { CanSeek: true } file ? file.Length - file.Position : null);
        return length is >= 0 and < MaxBufferSize
            ? Math.Max(MinBufferSize, (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)length))
            : MaxBufferSize;
    }

    /// <summary>
    /// Appends <paramref name="source"/> to <paramref name="destination"/>, feeding <paramref name="hash"/> when given.
    /// More than <paramref name="limit"/> bytes is refused (413) before the block that would exceed it is written.
    /// </summary>
    /// <returns>The number of bytes copied.</returns>
    public static async Task<long> CopyAsync(Stream source, Stream destination, ContentHash? hash, long limit, Action<long>? progress,
        CancellationToken cancellationToken, long? expectedLength = null)
    {
        var bufferSize = BufferSizeFor(source, expectedLength);
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(bufferSize), ArrayPool<byte>.Shared.Rent(bufferSize)];
        var pending = Task.CompletedTask;
        try
        {
            long total = 0;
            var current = 0;
            int read;
            while ((read = await ReadFullyAsync(source, buffers[current].AsMemory(0, bufferSize), cancellationToken)) > 0)
            {
                if (total + read > limit)
                {
                    throw new PayloadTooLargeException("The request body is longer than the declared upload length.");
                }
                // The previous buffer's hashing and writing must finish before it is refilled, and before this one is hashed (order matters).
                await pending;
                var buffer = buffers[current];
                var write = read <= InlineBlockSize && destination is FileStream ? WriteInline(destination, buffer, read)
                    : destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).AsTask();
                pending = hash is null ? write : Task.WhenAll(write, hash.AppendAsync(buffer, read, cancellationToken));
                total += read;
                progress?.Invoke(total);
                current ^= 1;
            }
            await pending;
            await destination.FlushAsync(cancellationToken);
            return total;
        }
        finally
        {
            try
            {
                await pending;
            }
            catch
            {
                // Reported by the loop already; the buffers must not go back to the pool while still in use.
            }
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }
    }

    private static Task WriteInline(Stream file, byte[] buffer, int count)
    {
        file.Write(buffer, 0, count);
        return Task.CompletedTask;
    }

    public static async Task<CopyResult> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await CopyAsync(file, Stream.Null, null, cancellationToken);
    }

    /// <summary>Fills the buffer unless the stream ends, so hashing works on large blocks even when a network stream trickles.</summary>
    private static async Task<int> ReadFullyAsync(Stream source, Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var filled = 0;
        int read;
        while (filled < buffer.Length && (read = await source.ReadAsync(buffer[filled..], cancellationToken)) > 0)
        {
            filled += read;
        }
        return filled;
    }
}
