using Skyport.Server.Datatypes;

namespace Skyport.Tests.Datatypes;

public sealed class PeekTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly DatatypeRegistry _registry = new();

    public void Dispose() => _folder.Dispose();

    private string? Make(string text, string extension = "txt") =>
        Peek.Make(_folder.Write("input", text), _registry.Get(extension));

    [Fact]
    public void Make_TextFile_ReturnsFirstFiveLines() =>
        Assert.Equal("1\n2\n3\n4\n5\n", Make("1\n2\n3\n4\n5\n6\n7\n"));

    [Fact]
    public void Make_ShortFileWithoutFinalNewline_HasNoFinalNewline() =>
        Assert.Equal("a\nb", Make("a\nb"));

    [Fact]
    public void Make_CrLfFile_UsesLf() =>
        Assert.Equal("a\tb\nc\td\n", Make("a\tb\r\nc\td\r\n", "tabular"));

    [Fact]
    public void Make_LongLine_IsCutAtWidthAndNextLineFollows()
    {
        string peek = Make(new string('A', 10_000) + "\nsecond\n")!;
        Assert.Equal(new string('A', Peek.LineWidth) + "\nsecond\n", peek);
    }

    [Fact]
    public void Make_EmptyFile_IsEmpty() => Assert.Equal("", Make(""));

    [Fact]
    public void Make_BinaryDatatype_ReturnsNull() => Assert.Null(Make("BAM\u0001", "bam"));

    [Fact]
    public void Make_UnknownDatatype_ReturnsNull() => Assert.Null(Make("anything", "no_such_type"));
}
