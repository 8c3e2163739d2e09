using System.Buffers;
using System.Text;

namespace Skyport.Server.Datatypes;

/// <summary>A file head that decoded as text, split into its complete lines.</summary>
internal sealed class TextHead
{
    /// <summary>How many lines the structural sniffers look at; enough to be sure, few enough to stay cheap.</summary>
    public const int SampleLineCount = 200;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    // Control bytes other than tab, newlines, form feed, vertical tab and escape mark binary content.
    private static readonly SearchValues<byte> TextBytes = SearchValues.Create(
        [(byte)'\t', (byte)'\n', 0x0b, 0x0c, (byte)'\r', 0x1b, .. Enumerable.Range(0x20, 0xe0).Select(b => (byte)b)]);

    private TextHead(string text, IReadOnlyList<string> lines, bool truncated)
    {
        Text = text;
        Lines = lines;
        Truncated = truncated;
    }

    public string Text { get; }

    /// <summary>Lines without their terminators; a line cut off by the head's bound is left out.</summary>
    public IReadOnlyList<string> Lines { get; }

    public bool Truncated { get; }

    public IEnumerable<string> SampleLines => Lines.Take(SampleLineCount);

    /// <summary>Sampled lines that carry data: not blank, not a '#' comment.</summary>
    public IEnumerable<string> DataLines => SampleLines.Where(l => l.Length > 0 && l[0] != '#');

    /// <summary>Null when the bytes are not text: a NUL or stray control byte, or invalid UTF-8.</summary>
    public static TextHead? TryDecode(FileHead head)
    {
        ReadOnlySpan<byte> bytes = head.Bytes;
        if (head.Truncated)
        {
            bytes = bytes[..^CountIncompleteTrailingSequence(bytes)];
        }
        if (bytes.ContainsAnyExcept(TextBytes))
        {
            return null;
        }
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }
        return new TextHead(text, SplitLines(text, head.Truncated), head.Truncated);
    }

    public bool StartsWith(string prefix) => Text.StartsWith(prefix, StringComparison.Ordinal);

    /// <summary>A multi-byte UTF-8 character cut in half by the bound is not a sign of binary data.</summary>
    private static int CountIncompleteTrailingSequence(ReadOnlySpan<byte> bytes)
    {
        for (int back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            byte b = bytes[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }
            int expected = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return expected > back ? back : 0;
        }
        return 0;
    }

    private static List<string> SplitLines(string text, bool truncated)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '\n' && c != '\r')
            {
                continue;
            }
            lines.Add(text[start..i]);
            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
            }
            start = i + 1;
        }
        if (start < text.Length && !truncated)
        {
            lines.Add(text[start..]);
        }
        return lines;
    }
}
