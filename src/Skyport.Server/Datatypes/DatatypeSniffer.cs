namespace Skyport.Server.Datatypes;

/// <summary>
/// Guesses a file's Galaxy extension from its head, Galaxy-style: the first sniffer in order that accepts it wins.
/// </summary>
/// <remarks>
/// Order, and why:
/// 1. Magic numbers on the raw bytes: gzip (then its content, see <see cref="SniffGzip"/>), pdf, png, zip, cram.
/// 2. Not text (NUL, control bytes, invalid UTF-8) → data.
/// 3. Text, most specific first, because the general formats accept the specific ones:
///    vcf and gff3 (their mandatory first-line pragmas are unambiguous), sam (before bed/tabular: alignment lines
///    are tab columns), gtf (before bed/tabular: nine tab columns), bed (before tabular), fastqsanger (before
///    fasta and txt), fasta, html (before xml: XHTML is XML), xml, json, tabular (before csv: tab columns whose
///    fields hold commas are still tabular), csv, and txt for any other text, including an empty file (as Galaxy).
/// </remarks>
public sealed class DatatypeSniffer(DatatypeRegistry registry)
{
    private static readonly (string Extension, Func<TextHead, bool> Matches)[] TextSniffOrder =
    [
        ("vcf", VcfSniffer.Matches),
        ("gff3", Gff3Sniffer.Matches),
        ("sam", SamSniffer.Matches),
        ("gtf", GtfSniffer.Matches),
        ("bed", BedSniffer.Matches),
        ("fastqsanger", FastqSniffer.Matches),
        ("fasta", FastaSniffer.Matches),
        ("html", HtmlSniffer.Matches),
        ("xml", XmlSniffer.Matches),
        ("json", JsonSniffer.Matches),
        ("tabular", TabularSniffer.Matches),
        ("csv", CsvSniffer.Matches),
    ];

    public string Sniff(string path) => registry.Get(SniffExtension(path)).Extension;

    private static string SniffExtension(string path)
    {
        var head = FileHead.Read(path);
        ReadOnlySpan<byte> bytes = head.Bytes;
        if (GzipMember.HasMagic(bytes))
        {
            return SniffGzip(path, bytes);
        }
        if (MagicNumbers.Match(bytes) is { } binary)
        {
            return binary;
        }
        return TextHead.TryDecode(head) is { } text ? SniffText(text) : DatatypeRegistry.DataExtension;
    }

    private static string SniffText(TextHead text)
    {
        foreach (var (extension, matches) in TextSniffOrder)
        {
            if (matches(text))
            {
                return extension;
            }
        }
        return "txt";
    }

    /// <summary>
    /// Looks inside the first inflated MiB: BAM is always BGZF; FASTQ and FASTA are kept compressed whichever gzip
    /// flavour holds them; VCF counts as vcf_bgzip only when BGZF-framed, because only then can it be indexed.
    /// </summary>
    private static string SniffGzip(string path, ReadOnlySpan<byte> rawHead)
    {
        bool bgzf = GzipMember.IsBgzf(rawHead);
        var content = FileHead.ReadGunzipped(path);
        if (bgzf && content.Bytes.AsSpan().StartsWith("BAM\x01"u8))
        {
            return "bam";
        }
        if (TextHead.TryDecode(content) is not { } text)
        {
            return "gz";
        }
        if (FastqSniffer.Matches(text))
        {
            return "fastqsanger.gz";
        }
        if (FastaSniffer.Matches(text))
        {
            return "fasta.gz";
        }
        return bgzf && VcfSniffer.Matches(text) ? "vcf_bgzip" : "gz";
    }
}
