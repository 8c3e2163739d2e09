namespace Skyport.Server.Datatypes;

/// <summary>
/// BED: tab-separated, chrom / start / end with 0 &lt;= start &lt;= end, and the optional standard columns
/// (score, strand, thickStart, thickEnd, blockCount) well formed when present, as Galaxy checks them.
/// </summary>
internal static class BedSniffer
{
    private const int MinimumColumns = 3;

    public static bool Matches(TextHead head)
    {
        int columnCount = 0;
        foreach (string line in head.DataLines)
        {
            if (line.StartsWith("track", StringComparison.Ordinal) || line.StartsWith("browser", StringComparison.Ordinal))
            {
                continue;
            }
            string[] columns = line.Split('\t');
            if (!IsInterval(columns) || (columnCount != 0 && columns.Length != columnCount))
            {
                return false;
            }
            columnCount = columns.Length;
        }
        return columnCount != 0;
    }

    private static bool IsInterval(string[] c) =>
        c.Length >= MinimumColumns
        && c[0].Length > 0
        && FieldParsing.TryParseCoordinate(c[1], out long start)
        && FieldParsing.TryParseCoordinate(c[2], out long end)
        && start <= end
        && (c.Length <= 4 || c[4] == "." || FieldParsing.IsNumber(c[4]))
        && (c.Length <= 5 || FieldParsing.IsStrand(c[5]))
        && (c.Length <= 6 || FieldParsing.IsInteger(c[6]))
        && (c.Length <= 7 || FieldParsing.IsInteger(c[7]))
        && (c.Length <= 9 || FieldParsing.IsInteger(c[9]));
}
