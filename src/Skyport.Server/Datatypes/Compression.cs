using System.IO.Compression;

namespace Skyport.Server.Datatypes;

public static class Compression
{
    public static bool IsGzip(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        return file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false) == magic.Length
            && GzipMember.HasMagic(magic);
    }

    /// <remarks>
    /// GZipStream reads concatenated members to the end, which is what bgzip output (one member per 64 KiB
    /// block plus an empty end-of-file member) needs.
    /// </remarks>
    public static async Task GunzipAsync(string source, string destination, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
        await using var gunzip = new GZipStream(input, CompressionMode.Decompress);
        await using var output = new FileStream(destination, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await gunzip.CopyToAsync(output, 1 << 16, cancellationToken);
    }
}
