using Skyport.Server.Datatypes;

namespace Skyport.Tests.Datatypes;

public sealed class DatatypeRegistryTests
{
    private readonly DatatypeRegistry _registry = new();

    [Theory]
    [InlineData("bam")]
    [InlineData("sam")]
    [InlineData("cram")]
    [InlineData("vcf")]
    [InlineData("vcf_bgzip")]
    [InlineData("bed")]
    [InlineData("gff3")]
    [InlineData("gtf")]
    [InlineData("fasta")]
    [InlineData("fastqsanger")]
    [InlineData("fastqsanger.gz")]
    [InlineData("fasta.gz")]
    [InlineData("tabular")]
    [InlineData("csv")]
    [InlineData("json")]
    [InlineData("xml")]
    [InlineData("html")]
    [InlineData("txt")]
    [InlineData("pdf")]
    [InlineData("png")]
    [InlineData("zip")]
    [InlineData("gz")]
    [InlineData("data")]
    public void Find_GalaxyExtension_IsKnown(string extension)
    {
        Assert.True(_registry.IsKnown(extension));
        Assert.Equal(extension, _registry.Find(extension)?.Extension);
        Assert.Contains('/', _registry.Get(extension).MimeType);
    }

    [Theory]
    [InlineData("bam")]
    [InlineData("cram")]
    [InlineData("vcf_bgzip")]
    [InlineData("fastqsanger.gz")]
    [InlineData("fasta.gz")]
    [InlineData("pdf")]
    [InlineData("png")]
    [InlineData("zip")]
    [InlineData("gz")]
    public void Get_CompressedOrBinaryFormat_IsBinary(string extension) => Assert.True(_registry.Get(extension).IsBinary);

    [Theory]
    [InlineData("sam")]
    [InlineData("vcf")]
    [InlineData("bed")]
    [InlineData("fastqsanger")]
    [InlineData("tabular")]
    [InlineData("json")]
    [InlineData("txt")]
    public void Get_TextFormat_IsNotBinary(string extension) => Assert.False(_registry.Get(extension).IsBinary);

    [Fact]
    public void Get_UnknownExtension_ReturnsData()
    {
        Assert.Equal("data", _registry.Get("no_such_type").Extension);
        Assert.Null(_registry.Find("no_such_type"));
        Assert.False(_registry.IsKnown("no_such_type"));
    }

    [Fact]
    public void Find_IsCaseSensitiveLikeGalaxy() => Assert.Null(_registry.Find("BAM"));

    [Fact]
    public void All_HasNoDuplicateExtensions() =>
        Assert.Equal(_registry.All.Count, _registry.All.Select(d => d.Extension).Distinct().Count());
}
