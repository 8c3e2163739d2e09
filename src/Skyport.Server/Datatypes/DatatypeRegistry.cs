namespace Skyport.Server.Datatypes;

/// <summary>The datatypes this server knows, keyed by Galaxy extension.</summary>
public sealed class DatatypeRegistry
{
    public const string DataExtension = "data";

    private readonly Dictionary<string, Datatype> _byExtension;

    public DatatypeRegistry()
    {
        All =
        [
            new("bam", "application/octet-stream", true, "BAM: binary, BGZF-compressed sequence alignments"),
            new("sam", "text/plain", false, "SAM: sequence alignments"),
            new("cram", "application/octet-stream", true, "CRAM: reference-compressed sequence alignments"),
            new("vcf", "text/plain", false, "VCF: variant calls"),
            new("vcf_bgzip", "application/gzip", true, "VCF compressed with bgzip"),
            new("bed", "text/plain", false, "BED: genomic intervals"),
            new("gff3", "text/plain", false, "GFF3: genomic features"),
            new("gtf", "text/plain", false, "GTF: gene transfer format"),
            new("fasta", "text/plain", false, "FASTA: sequences"),
            new("fastqsanger", "text/plain", false, "FASTQ with Sanger (Phred+33) qualities"),
            new("fastqsanger.gz", "application/gzip", true, "FASTQ with Sanger qualities, gzip-compressed"),
            new("fasta.gz", "application/gzip", true, "FASTA, gzip-compressed"),
            new("tabular", "text/plain", false, "Tab-separated columns"),
            new("csv", "text/csv", false, "Comma-separated values"),
            new("json", "application/json", false, "JSON"),
            new("xml", "application/xml", false, "XML"),
            new("html", "text/html", false, "HTML"),
            new("txt", "text/plain", false, "Plain text"),
            new("pdf", "application/pdf", true, "PDF document"),
            new("png", "image/png", true, "PNG image"),
            new("zip", "application/zip", true, "ZIP archive"),
            new("gz", "application/gzip", true, "gzip-compressed data"),
            new(DataExtension, "application/octet-stream", true, "Data of unknown type"),
        ];
        _byExtension = All.ToDictionary(d => d.Extension, StringComparer.Ordinal);
    }

    public IReadOnlyList<Datatype> All { get; }

    public Datatype? Find(string extension) => _byExtension.GetValueOrDefault(extension);

    public bool IsKnown(string extension) => _byExtension.ContainsKey(extension);

    public Datatype Get(string extension) => Find(extension) ?? _byExtension[DataExtension];
}
