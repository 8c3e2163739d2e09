namespace Skyport.Server.Datatypes;

/// <summary>
/// GTF is GFF2 with mandatory gene_id and transcript_id attributes; those attributes are what tells it from
/// other nine-column files.
/// </summary>
internal static class GtfSniffer
{
    private const int ColumnCount = 9;

    public static bool Matches(TextHead head)
    {
        bool sawFeature = false;
        foreach (string line in head.DataLines)
        {
            if (!IsFeature(line.Split('\t')))
            {
                return false;
            }
            sawFeature = true;
        }
        return sawFeature;
    }

    private static bool IsFeature(string[] columns) =>
        columns.Length == ColumnCount
        && FieldParsing.TryParseCoordinate(columns[3], out long start)
        && FieldParsing.TryParseCoordinate(columns[4], out long end)
        && start <= end
        && (columns[5] == "." || FieldParsing.IsNumber(columns[5]))
        && (FieldParsing.IsStrand(columns[6]) || columns[6] == "?")
        && columns[7] is "." or "0" or "1" or "2"
        && HasAttribute(columns[8], "gene_id")
        && HasAttribute(columns[8], "transcript_id");

    private static bool HasAttribute(string attributes, string name) =>
        attributes.Split(';').Any(a => a.TrimStart().StartsWith(name + " \"", StringComparison.Ordinal));
}
