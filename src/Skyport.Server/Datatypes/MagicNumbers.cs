namespace Skyport.Server.Datatypes;

/// <summary>Binary formats recognised by their leading bytes alone.</summary>
internal static class MagicNumbers
{
    private static ReadOnlySpan<byte> Png => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static string? Match(ReadOnlySpan<byte> head) =>
        head.StartsWith("%PDF"u8) ? "pdf"
        : head.StartsWith(Png) ? "png"
        : head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8) ? "zip"
        : head.StartsWith("CRAM"u8) ? "cram"
        : null;
}
