using System.Buffers;
using System.Security.Cryptography;

namespace Skyport.Server.Datasets;

public sealed record CopyResult(long Length, string Md5, string Sha256);

/// <summary>
/// Copies a stream while counting and hashing (MD5 and SHA-256) what passes, in bounded memory.
/// Every byte is hashed as it is written, so the digests describe exactly what reached the disk.
/// </summary>
public static class HashingCopy
{
    private const int BufferSize = 1 << 20;

    public static async Task<CopyResult> CopyAsync(Stream source, Stream destination, Action<long>? progress, CancellationToken cancellationToken)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            long total = 0;
            int read;
            while ((read = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken)) > 0)
            {
                var write = destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                // Hash while the write is in flight: the two overlap on separate cores.
                md5.AppendData(buffer, 0, read);
                sha256.AppendData(buffer, 0, read);
                await write;
                total += read;
                progress?.Invoke(total);
            }
            await destination.FlushAsync(cancellationToken);
            return new CopyResult(total, Convert.ToHexStringLower(md5.GetHashAndReset()), Convert.ToHexStringLower(sha256.GetHashAndReset()));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static async Task<CopyResult> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await CopyAsync(file, Stream.Null, null, cancellationToken);
    }
}
