using System.Buffers;
using System.IO.Compression;

namespace Skyport.Server.Datatypes;

/// <summary>The first bytes of a file (or of its gzip content); Truncated when the file goes on past them.</summary>
internal sealed record FileHead(byte[] Bytes, bool Truncated)
{
    /// <summary>Galaxy sniffs the first 1 MiB too (SNIFF_PREFIX_BYTES).</summary>
    public const int Limit = 1 << 20;

    public static FileHead Read(string path)
    {
        using var file = File.OpenRead(path);
        return ReadBounded(file, file.Length);
    }

    /// <summary>
    /// Inflates at most <see cref="Limit"/> bytes. Deflate data is never much larger than what it inflates to, so
    /// this also bounds what is read from disk. A damaged or cut-off stream yields what inflated before the fault.
    /// </summary>
    public static FileHead ReadGunzipped(string path)
    {
        using var file = File.OpenRead(path);
        using var gunzip = new GZipStream(file, CompressionMode.Decompress);
        return ReadBounded(gunzip, length: null);
    }

    /// <summary>
    /// Reads up to one byte past the limit (to tell a truncated head). The buffer is pooled: every dataset is sniffed,
    /// and a fresh 1 MiB array each time (for a file of a few KiB) kept the garbage collector busy with large objects.
    /// </summary>
    private static FileHead ReadBounded(Stream stream, long? length)
    {
        var wanted = length is { } known ? (int)Math.Min(known, Limit) + 1 : Limit + 1;
        var rented = ArrayPool<byte>.Shared.Rent(wanted);
        try
        {
            return ReadInto(stream, rented.AsSpan(0, wanted));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static FileHead ReadInto(Stream stream, Span<byte> buffer)
    {
        int filled = 0;
        bool faulted = false;
        while (filled < buffer.Length)
        {
            int read;
            try
            {
                read = stream.Read(buffer[filled..]);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException)
            {
                faulted = true;
                break;
            }
            if (read == 0)
            {
                break;
            }
            filled += read;
        }
        return new FileHead(buffer[..Math.Min(filled, Limit)].ToArray(), faulted || filled > Limit);
    }
}
