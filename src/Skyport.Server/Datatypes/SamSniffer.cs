namespace Skyport.Server.Datatypes;

/// <summary>SAM: "@XX" header records, and/or alignment lines of 11+ columns with integer FLAG, POS, MAPQ, PNEXT, TLEN.</summary>
internal static class SamSniffer
{
    private const int MandatoryColumns = 11;
    private static readonly string[] HeaderRecordTypes = ["@HD\t", "@SQ\t", "@RG\t", "@PG\t", "@CO\t"];

    public static bool Matches(TextHead head)
    {
        bool sawRecord = false;
        foreach (string line in head.SampleLines)
        {
            if (line.Length == 0)
            {
                continue;
            }
            bool valid = line[0] == '@'
                ? HeaderRecordTypes.Any(t => line.StartsWith(t, StringComparison.Ordinal))
                : IsAlignment(line.Split('\t'));
            if (!valid)
            {
                return false;
            }
            sawRecord = true;
        }
        return sawRecord;
    }

    private static bool IsAlignment(string[] c) =>
        c.Length >= MandatoryColumns
        && FieldParsing.TryParseCoordinate(c[1], out _)
        && FieldParsing.TryParseCoordinate(c[3], out _)
        && FieldParsing.TryParseCoordinate(c[4], out long mappingQuality) && mappingQuality <= 255
        && FieldParsing.TryParseCoordinate(c[7], out _)
        && FieldParsing.IsInteger(c[8]);
}
