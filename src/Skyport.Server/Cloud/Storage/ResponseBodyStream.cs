namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// A store's response body, read once from start to end, that releases the response (and its connection) when
/// disposed. Providers derive from it when they must translate what a read throws.
/// </summary>
internal class ResponseBodyStream(Stream body, IDisposable response) : ReadOnlyStream
{
    protected Stream Body => body;

    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => body.ReadAsync(buffer, cancellationToken);
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
            response.Dispose();
        }
        base.Dispose(disposing);
    }
}
