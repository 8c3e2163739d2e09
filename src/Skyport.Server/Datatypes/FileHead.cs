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
        return ReadBounded(file);
    }

    /// <summary>
    /// Inflates at most <see cref="Limit"/> bytes. Deflate data is never much larger than what it inflates to, so
    /// this also bounds what is read from disk. A damaged or cut-off stream yields what inflated before the fault.
    /// </summary>
    public static FileHead ReadGunzipped(string path)
    {
        using var file = File.OpenRead(path);
        using var gunzip = new GZipStream(file, CompressionMode.Decompress);
        return ReadBounded(gunzip);
    }

    private static FileHead ReadBounded(Stream stream)
    {
        var buffer = new byte[Limit + 1];
        int filled = 0;
        bool faulted = false;
        while (filled < buffer.Length)
        {
            int read;
            try
            {
                read = stream.Read(buffer, filled, buffer.Length - filled);
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
        return new FileHead(buffer[..Math.Min(filled, Limit)], faulted || filled > Limit);
    }
}
