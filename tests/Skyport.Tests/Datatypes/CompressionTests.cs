using System.Text;
using Skyport.Server.Datatypes;

namespace Skyport.Tests.Datatypes;

public sealed class CompressionTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void IsGzip_GzipFile_IsTrue() => Assert.True(Compression.IsGzip(_folder.Write("a.gz", GzipBuilder.Gzip("x"))));

    [Fact]
    public void IsGzip_PlainText_IsFalse() => Assert.False(Compression.IsGzip(_folder.Write("a.txt", "x\n")));

    [Fact]
    public void IsGzip_EmptyFile_IsFalse() => Assert.False(Compression.IsGzip(_folder.Write("empty", "")));

    [Fact]
    public async Task GunzipAsync_MultiMember_ConcatenatesEveryMember()
    {
        byte[] twoMembers = [.. GzipBuilder.Gzip("first member\n"), .. GzipBuilder.Gzip("second member\n")];
        string source = _folder.Write("two.gz", twoMembers);
        string destination = _folder.PathOf("two.txt");

        await Compression.GunzipAsync(source, destination, CancellationToken.None);

        Assert.Equal("first member\nsecond member\n", await File.ReadAllTextAsync(destination));
    }

    [Fact]
    public async Task GunzipAsync_BgzfWithManyBlocks_RestoresContent()
    {
        var text = new StringBuilder();
        for (int i = 0; i < 20_000; i++)
        {
            text.Append($"chr1\t{i}\t{i + 10}\n");
        }
        string source = _folder.Write("blocks.bgz", GzipBuilder.Bgzf(Encoding.UTF8.GetBytes(text.ToString()), blockSize: 1000));
        string destination = _folder.PathOf("blocks.txt");

        await Compression.GunzipAsync(source, destination, CancellationToken.None);

        Assert.Equal(text.ToString(), await File.ReadAllTextAsync(destination));
    }

    [Fact]
    public async Task GunzipAsync_ExistingDestination_IsOverwritten()
    {
        string source = _folder.Write("a.gz", GzipBuilder.Gzip("new"));
        string destination = _folder.Write("a.txt", "old content that is longer");

        await Compression.GunzipAsync(source, destination, CancellationToken.None);

        Assert.Equal("new", await File.ReadAllTextAsync(destination));
    }
}
