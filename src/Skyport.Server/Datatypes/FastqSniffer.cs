namespace Skyport.Server.Datatypes;

/// <summary>
/// FASTQ in four-line records (@id / bases / + / qualities). Qualities must lie in Galaxy's Sanger range
/// '!'..'S' (Phred 0..50), which is what separates fastqsanger from the older Illumina/Solexa encodings.
/// </summary>
internal static class FastqSniffer
{
    private const int LinesPerRecord = 4;

    public static bool Matches(TextHead head)
    {
        string[] lines = head.SampleLines.SkipWhile(l => l.Length == 0).ToArray();
        int completeRecords = lines.Length / LinesPerRecord;
        for (int r = 0; r < completeRecords; r++)
        {
            if (!IsRecord(lines.AsSpan(r * LinesPerRecord, LinesPerRecord)))
            {
                return false;
            }
        }
        return completeRecords > 0 && TrailingLinesAreBlankOrCut(lines.AsSpan(completeRecords * LinesPerRecord), head);
    }

    private static bool IsRecord(ReadOnlySpan<string> record) =>
        record[0].StartsWith('@')
        && record[2].StartsWith('+')
        && record[1].Length == record[3].Length
        && record[1].AsSpan().IndexOfAnyExcept(Bases) < 0
        && !record[3].AsSpan().ContainsAnyExceptInRange('!', 'S');

    // Left-over lines are fine only where the sample or the head's bound cut a record short.
    private static bool TrailingLinesAreBlankOrCut(ReadOnlySpan<string> rest, TextHead head) =>
        rest.IsEmpty
        || head.Truncated
        || head.Lines.Count > TextHead.SampleLineCount
        || !rest.ToArray().Any(l => l.Length > 0);

    private static readonly System.Buffers.SearchValues<char> Bases =
        System.Buffers.SearchValues.Create("ACGTUNRYKMSWBDHVacgtunrykmswbdhv.-");
}
