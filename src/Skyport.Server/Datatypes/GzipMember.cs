namespace Skyport.Server.Datatypes;

/// <summary>Reads the fixed header of one gzip member (RFC 1952) far enough to recognise BGZF.</summary>
internal static class GzipMember
{
    private const byte FlagExtra = 0x04;
    private const int FixedHeaderLength = 10;

    public static bool HasMagic(ReadOnlySpan<byte> head) => head.Length >= 2 && head[0] == 0x1f && head[1] == 0x8b;

    /// <summary>
    /// BGZF marks every member with an FEXTRA subfield "BC" carrying the block size; plain gzip never does.
    /// </summary>
    public static bool IsBgzf(ReadOnlySpan<byte> head)
    {
        if (!HasMagic(head) || head.Length < FixedHeaderLength + 2 || (head[3] & FlagExtra) == 0)
        {
            return false;
        }
        int extraLength = head[10] | head[11] << 8;
        var extra = head.Slice(FixedHeaderLength + 2, Math.Min(extraLength, head.Length - FixedHeaderLength - 2));
        while (extra.Length >= 4)
        {
            int subfieldLength = extra[2] | extra[3] << 8;
            if (extra[0] == (byte)'B' && extra[1] == (byte)'C' && subfieldLength == 2)
            {
                return true;
            }
            if (extra.Length < 4 + subfieldLength)
            {
                return false;
            }
            extra = extra[(4 + subfieldLength)..];
        }
        return false;
    }
}
