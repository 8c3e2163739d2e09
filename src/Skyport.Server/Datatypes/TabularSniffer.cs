namespace Skyport.Server.Datatypes;

/// <summary>
/// Galaxy's is_column_based with skip=1: '#' comments dropped, the first remaining line may be a header of any
/// shape, and every further non-blank line has the same number of tab-separated columns, at least two.
/// </summary>
internal static class TabularSniffer
{
    private const int SampledLines = 60;

    public static bool Matches(TextHead head)
    {
        int columnCount = 0;
        foreach (string line in head.Lines.Where(l => !l.StartsWith('#')).Take(SampledLines).Skip(1).Where(l => l.Length > 0))
        {
            int columns = line.Count(c => c == '\t') + 1;
            if (columns < 2 || (columnCount != 0 && columns != columnCount))
            {
                return false;
            }
            columnCount = columns;
        }
        return columnCount >= 2;
    }
}
