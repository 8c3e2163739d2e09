using System.Text;

namespace Skyport.Server.Datatypes;

/// <summary>
/// Galaxy's dataset peek (get_file_peek): the first lines of a text dataset, joined with "\n", with a final
/// "\n" only when the last peeked line had one in the file.
/// </summary>
public static class Peek
{
    public const int LineCount = 5;

    /// <summary>Galaxy's peek width; longer lines are cut here rather than wrapped, so five lines stay five.</summary>
    public const int LineWidth = 256;

    /// <summary>Bounds the scan when a huge line has to be skipped to reach the next one.</summary>
    private const int MaxCharsScanned = 1 << 20;

    public static string? Make(string path, Datatype datatype)
    {
        if (datatype.IsBinary)
        {
            return null;
        }
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var lines = new List<string>(LineCount);
        var line = new StringBuilder(LineWidth);
        bool lastLineBroken = false;
        bool previousWasCarriageReturn = false;
        var buffer = new char[4096];
        int scanned = 0;
        int read;
        while (lines.Count < LineCount && scanned < MaxCharsScanned && (read = reader.Read(buffer)) > 0)
        {
            scanned += read;
            foreach (char c in buffer.AsSpan(0, read))
            {
                if (lines.Count == LineCount)
                {
                    break;
                }
                bool completesCrLf = previousWasCarriageReturn && c == '\n';
                previousWasCarriageReturn = c == '\r';
                if (completesCrLf)
                {
                    continue;
                }
                if (c is '\n' or '\r')
                {
                    lines.Add(line.ToString());
                    line.Clear();
                    lastLineBroken = true;
                }
                else if (line.Length < LineWidth)
                {
                    line.Append(c);
                }
            }
        }
        if (lines.Count < LineCount && line.Length > 0)
        {
            lines.Add(line.ToString());
            lastLineBroken = false;
        }
        return string.Join('\n', lines) + (lastLineBroken ? "\n" : "");
    }
}
