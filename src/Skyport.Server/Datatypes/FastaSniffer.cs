namespace Skyport.Server.Datatypes;

/// <summary>FASTA: a '>' header first, then residue lines; a header with no residues after it is not enough.</summary>
internal static class FastaSniffer
{
    public static bool Matches(TextHead head)
    {
        bool sawHeader = false;
        bool sawResidues = false;
        foreach (string line in head.SampleLines)
        {
            if (line.Length == 0)
            {
                continue;
            }
            if (line[0] == '>')
            {
                sawHeader = true;
            }
            else if (!sawHeader || line.AsSpan().TrimEnd().IndexOfAnyExcept(Residues) >= 0)
            {
                return false;
            }
            else
            {
                sawResidues = true;
            }
        }
        return sawResidues;
    }

    // Nucleotide and amino-acid letters, gaps, and the stop/terminator symbol.
    private static readonly System.Buffers.SearchValues<char> Residues =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz*-.");
}
