using System.IO.Compression;
using System.Text;

namespace Skyport.Tests.Datatypes;

/// <summary>Builds plain gzip and BGZF files by hand, the way bgzip frames them.</summary>
internal static class GzipBuilder
{
    private const int GzipFixedHeaderLength = 10;
    private const byte FlagExtra = 0x04;

    /// <summary>The empty BGZF block bgzip writes as an end-of-file marker (SAM spec 4.1.2).</summary>
    public static readonly byte[] BgzfEndOfFile =
    [
        0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
        0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    public static byte[] Gzip(string text) => Gzip(Encoding.UTF8.GetBytes(text));

    public static byte[] Gzip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(content);
        }
        return buffer.ToArray();
    }

    public static byte[] Bgzf(string text) => Bgzf(Encoding.UTF8.GetBytes(text));

    /// <summary>One BGZF member per block of content, then the end-of-file marker.</summary>
    public static byte[] Bgzf(byte[] content, int blockSize = 65280)
    {
        using var file = new MemoryStream();
        for (int offset = 0; offset < content.Length; offset += blockSize)
        {
            file.Write(BgzfMember(content.AsSpan(offset, Math.Min(blockSize, content.Length - offset)).ToArray()));
        }
        file.Write(BgzfEndOfFile);
        return file.ToArray();
    }

    /// <summary>
    /// Reuses GZipStream's member (deflate data, CRC32, size) and adds the FEXTRA field with the "BC" subfield
    /// holding the member's total size minus one.
    /// </summary>
    private static byte[] BgzfMember(byte[] block)
    {
        byte[] plain = Gzip(block);
        Assert.Equal(0, plain[3]);
        byte[] member = new byte[plain.Length + 8];
        plain.AsSpan(0, GzipFixedHeaderLength).CopyTo(member);
        member[3] = FlagExtra;
        int blockSizeMinusOne = member.Length - 1;
        byte[] extra = [6, 0, (byte)'B', (byte)'C', 2, 0, (byte)blockSizeMinusOne, (byte)(blockSizeMinusOne >> 8)];
        extra.CopyTo(member, GzipFixedHeaderLength);
        plain.AsSpan(GzipFixedHeaderLength).CopyTo(member.AsSpan(GzipFixedHeaderLength + extra.Length));
        return member;
    }
}
