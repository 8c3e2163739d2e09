using System.Text;
using System.Text.RegularExpressions;
using Skyport.Server.Datatypes;

namespace Skyport.Tests.Datatypes;

public sealed class TextConversionTests
{
    private static async Task<string> ConvertAsync(string input, bool toPosixLines, bool spaceToTab, int maxPerRead = int.MaxValue)
    {
        using var source = new TrickleStream(Encoding.UTF8.GetBytes(input), maxPerRead);
        using var output = new MemoryStream();
        await TextConversion.ConvertAsync(source, output, toPosixLines, spaceToTab, CancellationToken.None);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public async Task Convert_CrLf_BecomesLf() =>
        Assert.Equal("a\nb\n", await ConvertAsync("a\r\nb\r\n", toPosixLines: true, spaceToTab: false));

    [Fact]
    public async Task Convert_LoneCr_BecomesLf() =>
        Assert.Equal("1 2\n3 4\n", await ConvertAsync("1 2\r3 4", toPosixLines: true, spaceToTab: false));

    [Fact]
    public async Task Convert_CrCrLf_IsTwoLineBreaks() =>
        Assert.Equal("a\n\nb\n", await ConvertAsync("a\r\r\nb", toPosixLines: true, spaceToTab: false));

    [Fact]
    public async Task Convert_MissingFinalNewline_IsAdded() =>
        Assert.Equal("a\nb\n", await ConvertAsync("a\nb", toPosixLines: true, spaceToTab: false));

    [Fact]
    public async Task Convert_EmptyInput_StaysEmpty() =>
        Assert.Equal("", await ConvertAsync("", toPosixLines: true, spaceToTab: true));

    [Fact]
    public async Task Convert_PosixLinesOnly_LeavesSpacesAndTabs() =>
        Assert.Equal("a  b\t\tc\n", await ConvertAsync("a  b\t\tc\r\n", toPosixLines: true, spaceToTab: false));

    [Fact]
    public async Task Convert_SpaceRuns_BecomeOneTab() =>
        Assert.Equal("1\t2\n3\t4\n", await ConvertAsync("1    2\r3 4", toPosixLines: true, spaceToTab: true));

    [Fact]
    public async Task Convert_MixedSpacesTabsFormFeeds_BecomeOneTab() =>
        Assert.Equal("a\tb\n", await ConvertAsync("a \t\f\v b\n", toPosixLines: true, spaceToTab: true));

    [Fact]
    public async Task Convert_ConsecutiveTabs_CollapseLikeGalaxy() =>
        Assert.Equal("a\tb\n", await ConvertAsync("a\t\tb\n", toPosixLines: true, spaceToTab: true));

    [Fact]
    public async Task Convert_LeadingAndTrailingWhitespace_BecomesTabsNotStripped() =>
        Assert.Equal("\ta\tb\t\n", await ConvertAsync("  a b  \n", toPosixLines: true, spaceToTab: true));

    [Fact]
    public async Task Convert_SpaceToTabOnly_KeepsLineEndingsAndAddsNoNewline() =>
        Assert.Equal("1\t2\r\n3\t4\r5\t6", await ConvertAsync("1 2\r\n3  4\r5\t 6", toPosixLines: false, spaceToTab: true));

    [Fact]
    public async Task Convert_NeitherOption_CopiesBytes() =>
        Assert.Equal("a  b\r\nc", await ConvertAsync("a  b\r\nc", toPosixLines: false, spaceToTab: false));

    [Fact]
    public async Task Convert_NonAsciiWhitespace_IsLeftAlone() =>
        Assert.Equal("a\u00a0b\u3000c\n", await ConvertAsync("a\u00a0b\u3000c", toPosixLines: true, spaceToTab: true));

    [Fact]
    public async Task Convert_CrLfAndSpaceRunSplitByEveryRead_ConvertLikeWhole() =>
        Assert.Equal("x\ty\nz\n", await ConvertAsync("x   y\r\nz\r", toPosixLines: true, spaceToTab: true, maxPerRead: 1));

    [Fact]
    public async Task Convert_CrLfStraddlingBufferBoundary_BecomesOneLf()
    {
        string input = new string('a', (1 << 16) - 1) + "\r\nb";
        Assert.Equal(new string('a', (1 << 16) - 1) + "\nb\n", await ConvertAsync(input, toPosixLines: true, spaceToTab: false));
    }

    [Fact]
    public async Task Convert_ThreeMebibytes_StreamsAcrossBufferBoundaries()
    {
        var random = new Random(7);
        string[] separators = [" ", "  ", "\t", " \t ", "\t\t", "x"];
        string[] lineEnds = ["\n", "\r\n", "\r"];
        var input = new StringBuilder();
        while (input.Length < 3 * 1024 * 1024)
        {
            input.Append("field").Append(separators[random.Next(separators.Length)]).Append(random.Next(1000));
            if (random.Next(4) == 0)
            {
                input.Append(lineEnds[random.Next(lineEnds.Length)]);
            }
        }
        string text = input.ToString();
        string expected = Regex.Replace(Regex.Replace(text, "\r\n|\r", "\n"), "[ \t\f\v]+", "\t");
        if (!expected.EndsWith('\n'))
        {
            expected += "\n";
        }

        string actual = await ConvertAsync(text, toPosixLines: true, spaceToTab: true, maxPerRead: 4093);

        Assert.Equal(expected.Length, actual.Length);
        Assert.Equal(expected, actual);
    }
}
