using System.Text;
using Skyport.Server.Datatypes;

namespace Skyport.Tests.Datatypes;

public sealed class TextSniffingTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly DatatypeSniffer _sniffer = new(new DatatypeRegistry());

    public void Dispose() => _folder.Dispose();

    private string Sniff(string text) => _sniffer.Sniff(_folder.Write("input", text));

    [Fact]
    public void Sniff_SamWithHeader_IsSam() => Assert.Equal("sam", Sniff(
        "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:1000\n" +
        "r1\t0\tchr1\t100\t60\t4M\t*\t0\t0\tACGT\tIIII\tNM:i:0\n"));

    [Fact]
    public void Sniff_SamWithoutHeader_IsSam() => Assert.Equal("sam", Sniff(
        "r1\t99\tchr1\t100\t60\t4M\t=\t300\t204\tACGT\tIIII\n" +
        "r1\t147\tchr1\t300\t60\t4M\t=\t100\t-204\tTTGA\tIIII\n"));

    [Fact]
    public void Sniff_SamWithTextFlag_IsTabular() => Assert.Equal("tabular", Sniff(
        "r1\tFLAG\tchr1\t100\t60\t4M\t*\t0\t0\tACGT\tIIII\n" +
        "r2\tFLAG\tchr1\t100\t60\t4M\t*\t0\t0\tACGT\tIIII\n" +
        "r3\tFLAG\tchr1\t100\t60\t4M\t*\t0\t0\tACGT\tIIII\n"));

    [Fact]
    public void Sniff_Vcf_IsVcf() => Assert.Equal("vcf", Sniff(
        "##fileformat=VCFv4.3\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\nchr1\t100\t.\tA\tG\t50\tPASS\t.\n"));

    [Fact]
    public void Sniff_Gff3_IsGff3() => Assert.Equal("gff3", Sniff(
        "##gff-version 3\nctg123\t.\tgene\t1000\t9000\t.\t+\t.\tID=gene00001;Name=EDEN\n"));

    [Fact]
    public void Sniff_Gtf_IsGtf() => Assert.Equal("gtf", Sniff(
        "#!genome-build GRCh38\n" +
        "chr1\tHAVANA\texon\t11869\t12227\t.\t+\t.\tgene_id \"ENSG00000223972\"; transcript_id \"ENST00000456328\";\n" +
        "chr1\tHAVANA\texon\t12613\t12721\t.\t+\t.\tgene_id \"ENSG00000223972\"; transcript_id \"ENST00000456328\";\n"));

    [Fact]
    public void Sniff_NineColumnsWithoutTranscriptId_IsTabular() => Assert.Equal("tabular", Sniff(
        "chr1\tHAVANA\texon\t11869\t12227\t.\t+\t.\tgene_id \"ENSG00000223972\";\n" +
        "chr1\tHAVANA\texon\t12613\t12721\t.\t+\t.\tgene_id \"ENSG00000223972\";\n"));

    [Fact]
    public void Sniff_Bed3_IsBed() => Assert.Equal("bed", Sniff("chr1\t100\t200\nchr1\t300\t400\nchr2\t0\t50\n"));

    [Fact]
    public void Sniff_Bed6WithTrackAndBrowserLines_IsBed() => Assert.Equal("bed", Sniff(
        "browser position chr7:127471196-127495720\ntrack name=pairedReads description=\"Clone Paired Reads\"\n" +
        "chr7\t127471196\t127472363\tPos1\t0\t+\nchr7\t127472363\t127473530\tPos2\t0\t-\n"));

    [Fact]
    public void Sniff_Bed12_IsBed() => Assert.Equal("bed", Sniff(
        "chr7\t127475281\t127491632\tNM_000230\t0\t+\t127486022\t127488767\t0\t3\t29,172,3225,\t0,10713,13126,\n" +
        "chr7\t127486011\t127488900\tD49487\t0\t+\t127486022\t127488767\t0\t2\t155,490,\t0,2399\n"));

    [Fact]
    public void Sniff_IntervalsWithStartAfterEnd_IsTabularNotBed() => Assert.Equal("tabular", Sniff(
        "chr1\t100\t200\nchr1\t500\t400\nchr2\t0\t50\n"));

    [Fact]
    public void Sniff_IntervalsWithInvalidStrand_IsTabularNotBed() => Assert.Equal("tabular", Sniff(
        "chr1\t100\t200\tname\t0\tup\nchr1\t300\t400\tname\t0\tdown\n"));

    [Fact]
    public void Sniff_CrlfBed_IsBed() => Assert.Equal("bed", Sniff("chr1\t100\t200\r\nchr1\t300\t400\r\n"));

    [Fact]
    public void Sniff_Fasta_IsFasta() => Assert.Equal("fasta", Sniff(">seq1 description\nACGTACGTNN\nACGT\n\n>seq2\nMKVLAAGIV*\n"));

    [Fact]
    public void Sniff_FastaHeaderWithoutSequence_IsTxt() => Assert.Equal("txt", Sniff(">just a quote\n"));

    [Fact]
    public void Sniff_FastaWithProseLines_IsTxt() => Assert.Equal("txt", Sniff(">seq1\nthis is not a sequence, clearly\n"));

    [Fact]
    public void Sniff_Fastq_IsFastqsanger() => Assert.Equal("fastqsanger", Sniff(
        "@r1/1\nACGTN\n+\nII#!5\n@r2/1\nGGCCA\n+r2/1\nIIIII\n"));

    [Fact]
    public void Sniff_CrlfFastq_IsFastqsanger() => Assert.Equal("fastqsanger", Sniff("@r1\r\nACGT\r\n+\r\nIIII\r\n"));

    [Fact]
    public void Sniff_FastqWithQualityLengthMismatch_IsNotFastqsanger() => Assert.NotEqual("fastqsanger", Sniff(
        "@r1\nACGT\n+\nIII\n"));

    [Fact]
    public void Sniff_FastqWithPhred64Qualities_IsNotFastqsanger() => Assert.NotEqual("fastqsanger", Sniff(
        "@r1\nACGT\n+\nhhhh\n@r2\nACGT\n+\nhhgg\n"));

    [Fact]
    public void Sniff_FastqWithIncompleteLastRecord_IsNotFastqsanger() => Assert.NotEqual("fastqsanger", Sniff(
        "@r1\nACGT\n+\nIIII\n@r2\nACGT\n"));

    [Fact]
    public void Sniff_FastqLargerThanSniffHead_IsFastqsanger()
    {
        var fastq = new StringBuilder();
        while (fastq.Length < 3 * 1024 * 1024)
        {
            fastq.Append("@read\nACGTACGTACGTACGTACGTACGTACG\n+\nIIIIIIIIIIIIIIIIIIIIIIIIIII\n");
        }
        Assert.Equal("fastqsanger", Sniff(fastq.ToString()));
    }

    [Fact]
    public void Sniff_JsonObject_IsJson() => Assert.Equal("json", Sniff("{\n  \"name\": \"x\",\n  \"values\": [1, 2.5, null, true]\n}\n"));

    [Fact]
    public void Sniff_JsonArray_IsJson() => Assert.Equal("json", Sniff("[{\"a\": 1}, {\"a\": 2}]"));

    [Fact]
    public void Sniff_TruncatedJson_IsTxt() => Assert.Equal("txt", Sniff("{\"name\": \"x\", \"values\": [1, 2"));

    [Fact]
    public void Sniff_JsonWithTrailingText_IsTxt() => Assert.Equal("txt", Sniff("{\"a\": 1} and more words"));

    [Fact]
    public void Sniff_JsonLargerThanSniffHead_IsJson()
    {
        var json = new StringBuilder("[");
        for (int i = 0; json.Length < 2 * 1024 * 1024; i++)
        {
            json.Append($"{{\"id\": {i}, \"label\": \"caf\u00e9 n\u00b0{i}\"}},");
        }
        json.Append("{}]");
        Assert.Equal("json", Sniff(json.ToString()));
    }

    [Fact]
    public void Sniff_XmlWithDeclaration_IsXml() => Assert.Equal("xml", Sniff("<?xml version=\"1.0\"?>\n<root><a>1</a></root>\n"));

    [Fact]
    public void Sniff_XmlWithoutDeclaration_IsXml() => Assert.Equal("xml", Sniff("<!-- generated -->\n<tool id=\"cat1\"><command>cat</command></tool>\n"));

    [Fact]
    public void Sniff_Html_IsHtml() => Assert.Equal("html", Sniff("<!DOCTYPE html>\n<html><body><p>Hi</p></body></html>\n"));

    [Fact]
    public void Sniff_HtmlWithoutDoctype_IsHtml() => Assert.Equal("html", Sniff("<HTML>\n<BODY>old school</BODY>\n</HTML>\n"));

    [Fact]
    public void Sniff_XhtmlWithXmlDeclaration_IsHtml() => Assert.Equal("html", Sniff(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>\n"));

    [Fact]
    public void Sniff_Csv_IsCsv() => Assert.Equal("csv", Sniff("name,count,score\nalpha,1,0.5\nbeta,2,0.25\n"));

    [Fact]
    public void Sniff_CsvWithQuotedCommas_IsCsv() => Assert.Equal("csv", Sniff("name,comment\n\"Smith, J\",\"fine, thanks\"\nDoe,none\n"));

    [Fact]
    public void Sniff_CsvWithInconsistentFieldCounts_IsTxt() => Assert.Equal("txt", Sniff("a,b,c\n1,2\n3,4,5,6\n"));

    [Fact]
    public void Sniff_Tabular_IsTabular() => Assert.Equal("tabular", Sniff("gene\tcount\tnote\nBRCA1\t12\tx\nTP53\t7\ty\n"));

    [Fact]
    public void Sniff_TabularWhoseFieldsHoldCommas_IsTabular() => Assert.Equal("tabular", Sniff("id\tvalues\na\t1,2,3\nb\t4,5,6\n"));

    [Fact]
    public void Sniff_TabularWithHeaderOfOtherWidth_IsTabular() => Assert.Equal("tabular", Sniff("title\na\t1\nb\t2\n"));

    [Fact]
    public void Sniff_TabularWithCommentThenHeader_IsTabular() => Assert.Equal("tabular", Sniff("# exported\ntitle\na\t1\nb\t2\n"));

    [Fact]
    public void Sniff_RaggedTabs_IsTxt() => Assert.Equal("txt", Sniff("a\tb\nc\td\te\nf\tg\n"));

    [Fact]
    public void Sniff_SpaceSeparatedColumns_IsTxt() => Assert.Equal("txt", Sniff("a 1 2 x\nb 3 4 y\nc 5 6 z\n"));

    [Fact]
    public void Sniff_PlainText_IsTxt() => Assert.Equal("txt", Sniff("Dear reader,\nthis is prose.\n"));

    [Fact]
    public void Sniff_CrlfText_IsTxt() => Assert.Equal("txt", Sniff("line one\r\nline two\r\n"));

    [Fact]
    public void Sniff_EmptyFile_IsTxt() => Assert.Equal("txt", Sniff(""));

    [Fact]
    public void Sniff_MultiByteCharacterCutBySniffBound_IsTxt()
    {
        // 'é' is two bytes; an odd number of ASCII bytes first puts one of them astride the 1 MiB bound.
        var text = new StringBuilder("x");
        while (text.Length < 1024 * 1024)
        {
            text.Append("\u00e9t\u00e9 ");
        }
        Assert.Equal("txt", Sniff(text.ToString()));
    }
}
