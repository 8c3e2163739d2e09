using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Skyport.Server.Datasets;

namespace Skyport.Tests.Datasets;

public sealed class LargeBlockFileSenderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"skyport-sender-{Guid.NewGuid():N}.bin");
    private readonly byte[] _data = new byte[(3 * LargeBlockFileSender.BlockSize) + 777];

    public LargeBlockFileSenderTests()
    {
        new Random(11).NextBytes(_data);
        File.WriteAllBytes(_path, _data);
    }

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task SendFile_WithOffsetAndCount_SendsExactlyThatSliceAcrossBlocks()
    {
        var (sender, sent) = Sender();

        await sender.SendFileAsync(_path, 1000, (2 * LargeBlockFileSender.BlockSize) + 5, CancellationToken.None);
        await sender.Writer.FlushAsync();

        Assert.Equal(_data[1000..(1000 + (2 * LargeBlockFileSender.BlockSize) + 5)], sent.ToArray());
    }

    [Fact]
    public async Task SendFile_WithoutCount_SendsTheRestOfTheFile()
    {
        var (sender, sent) = Sender();

        await sender.SendFileAsync(_path, 10, null, CancellationToken.None);
        await sender.Writer.FlushAsync();

        Assert.Equal(_data[10..], sent.ToArray());
    }

    [Fact]
    public async Task SendFile_OfAFileShorterThanTheCount_FailsInsteadOfEndingShort()
    {
        var (sender, _) = Sender();

        var error = await Assert.ThrowsAsync<IOException>(() => sender.SendFileAsync(_path, 0, _data.Length + 100, CancellationToken.None));

        Assert.Contains("100 bytes before", error.Message);
    }

    [Fact]
    public async Task SendWith_PutsTheSenderInFrontOnlyWhileSending()
    {
        var context = new DefaultHttpContext();
        var original = new StreamResponseBodyFeature(new MemoryStream());
        context.Features.Set<IHttpResponseBodyFeature>(original);
        IHttpResponseBodyFeature? during = null;

        await LargeBlockFileSender.SendWithAsync(context, () =>
        {
            during = context.Features.Get<IHttpResponseBodyFeature>();
            return Task.CompletedTask;
        });

        Assert.IsType<LargeBlockFileSender>(during);
        Assert.Same(original, context.Features.Get<IHttpResponseBodyFeature>());
    }

    private static (LargeBlockFileSender Sender, MemoryStream Sent) Sender()
    {
        var sent = new MemoryStream();
        return (new LargeBlockFileSender(new StreamResponseBodyFeature(sent)), sent);
    }
}
