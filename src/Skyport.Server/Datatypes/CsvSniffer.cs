namespace Skyport.Server.Datatypes;

/// <summary>
/// CSV: at least two lines, each with the same number (two or more) of comma-separated fields, commas inside
/// double quotes not counting. A quoted field spanning lines makes the counts disagree, which errs towards txt.
/// </summary>
internal static class CsvSniffer
{
    private const int SampledLines = 60;

    public static bool Matches(TextHead head)
    {
        int fieldCount = 0;
        int lineCount = 0;
        foreach (string line in head.Lines.Take(SampledLines).Where(l => l.Length > 0))
        {
            int fields = CountFields(line);
            if (fields < 2 || (fieldCount != 0 && fields != fieldCount))
            {
                return false;
            }
            fieldCount = fields;
            lineCount++;
        }
        return lineCount >= 2;
    }

    /// <returns>The field count, or 0 when a quote is left open.</returns>
    private static int CountFields(string line)
    {
        int fields = 1;
        bool quoted = false;
        foreach (char c in line)
        {
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == ',' && !quoted)
            {
                fields++;
            }
        }
        return quoted ? 0 : fields;
    }
}
