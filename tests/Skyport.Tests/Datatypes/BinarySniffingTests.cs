using System.Text;
using Skyport.Server.Datatypes;

namespace Skyport.Tests.Datatypes;

public sealed class BinarySniffingTests : IDisposable
{
    private const string Vcf = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t100\t.\tA\tG\t50\tPASS\t.\n";
    private const string Fastq = "@r1\nACGT\n+\nIIII\n@r2\nGGCC\n+\n!!##\n";
    private const string Fasta = ">seq1\nACGTACGT\nACGT\n>seq2\nMKVL*\n";

    private readonly TempFolder _folder = new();
    private readonly DatatypeSniffer _sniffer = new(new DatatypeRegistry());

    public void Dispose() => _folder.Dispose();

    private string Sniff(byte[] bytes) => _sniffer.Sniff(_folder.Write("input", bytes));

    [Fact]
    public void Sniff_Pdf_IsPdf() => Assert.Equal("pdf", Sniff("%PDF-1.7\n1 0 obj\n"u8.ToArray()));

    [Fact]
    public void Sniff_Png_IsPng() => Assert.Equal("png", Sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]));

    [Fact]
    public void Sniff_Zip_IsZip()
    {
        using var buffer = new MemoryStream();
        using (var zip = new System.IO.Compression.ZipArchive(buffer, System.IO.Compression.ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = new StreamWriter(zip.CreateEntry("a.txt").Open());
            entry.Write("hello");
        }
        Assert.Equal("zip", Sniff(buffer.ToArray()));
    }

    [Fact]
    public void Sniff_Cram_IsCram() => Assert.Equal("cram", Sniff([.. "CRAM"u8, 3, 1, .. new byte[20]]));

    [Fact]
    public void Sniff_BgzfBam_IsBam()
    {
        byte[] bam = [.. "BAM\x01"u8, 4, 0, 0, 0, .. "@HD\t"u8, 1, 0, 0, 0, 5, 0, 0, 0, .. "chr1\0"u8, 0x10, 0, 0, 0];
        Assert.Equal("bam", Sniff(GzipBuilder.Bgzf(bam)));
    }

    [Fact]
    public void Sniff_PlainGzipWithBamMagic_IsGz() => Assert.Equal("gz", Sniff(GzipBuilder.Gzip([.. "BAM\x01"u8, 0, 0, 0, 0])));

    [Fact]
    public void Sniff_BgzfVcf_IsVcfBgzip() => Assert.Equal("vcf_bgzip", Sniff(GzipBuilder.Bgzf(Vcf)));

    [Fact]
    public void Sniff_BgzfVcfOverManyBlocks_IsVcfBgzip()
    {
        var vcf = new StringBuilder(Vcf);
        for (int i = 0; i < 50_000; i++)
        {
            vcf.Append($"chr1\t{1000 + i}\t.\tA\tG\t50\tPASS\tDP={i}\n");
        }
        Assert.Equal("vcf_bgzip", Sniff(GzipBuilder.Bgzf(Encoding.UTF8.GetBytes(vcf.ToString()), blockSize: 4096)));
    }

    [Fact]
    public void Sniff_PlainGzipVcf_IsGz() => Assert.Equal("gz", Sniff(GzipBuilder.Gzip(Vcf)));

    [Fact]
    public void Sniff_GzipFastq_IsFastqsangerGz() => Assert.Equal("fastqsanger.gz", Sniff(GzipBuilder.Gzip(Fastq)));

    [Fact]
    public void Sniff_BgzfFastq_IsFastqsangerGz() => Assert.Equal("fastqsanger.gz", Sniff(GzipBuilder.Bgzf(Fastq)));

    [Fact]
    public void Sniff_GzipFasta_IsFastaGz() => Assert.Equal("fasta.gz", Sniff(GzipBuilder.Gzip(Fasta)));

    [Fact]
    public void Sniff_GzipPlainText_IsGz() => Assert.Equal("gz", Sniff(GzipBuilder.Gzip("just some words\n")));

    [Fact]
    public void Sniff_GzipBinaryContent_IsGz() => Assert.Equal("gz", Sniff(GzipBuilder.Gzip(RandomBytes(4096))));

    [Fact]
    public void Sniff_GzipFastqCutShort_IsStillFastqsangerGz()
    {
        var fastq = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
        {
            fastq.Append($"@read{i}\nACGTACGTAC\n+\nIIIIIHHHGG\n");
        }
        byte[] gzip = GzipBuilder.Gzip(fastq.ToString());
        Assert.Equal("fastqsanger.gz", Sniff(gzip[..(gzip.Length / 2)]));
    }

    [Fact]
    public void Sniff_GzipMagicWithGarbage_IsGz() => Assert.Equal("gz", Sniff([0x1f, 0x8b, 0x08, 0, .. RandomBytes(100)]));

    [Fact]
    public void Sniff_BinaryGarbage_IsData() => Assert.Equal("data", Sniff(RandomBytes(8192)));

    [Fact]
    public void Sniff_TextWithNul_IsData() => Assert.Equal("data", Sniff("chr1\t10\t20\n\0\0\0\n"u8.ToArray()));

    [Fact]
    public void Sniff_Latin1Text_IsData() => Assert.Equal("data", Sniff([.. "caf"u8, 0xE9, (byte)'\n']));

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(42).NextBytes(bytes);
        bytes[0] = 0x00;
        return bytes;
    }
}
