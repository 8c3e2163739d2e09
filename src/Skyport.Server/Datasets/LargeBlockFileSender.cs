using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Skyport.Server.Datasets;

/// <summary>
/// The response body of one download, sending a file in large blocks read straight into the connection's output buffer.
/// Kestrel has no sendfile; the framework's fallback copies a file through a 16 KiB buffer, one read, one copy into the
/// output pipe and one socket send per 16 KiB (65,536 of each for 1 GiB), which held downloads to about half of what the
/// loopback carries. Here each block is read from the file into memory the output pipe hands out and sent in one go.
/// Everything else (headers, ranges, the stream and writer) is the framework's: this replaces only <c>SendFileAsync</c>,
/// which file results call with the range they decided on.
/// </summary>
internal sealed class LargeBlockFileSender(IHttpResponseBodyFeature inner) : IHttpResponseBodyFeature
{
    internal const int BlockSize = 1 << 20;

    public Stream Stream => inner.Stream;

    public PipeWriter Writer => inner.Writer;

    public void DisableBuffering() => inner.DisableBuffering();

    public Task StartAsync(CancellationToken cancellationToken = default) => inner.StartAsync(cancellationToken);

    public Task CompleteAsync() => inner.CompleteAsync();

    public async Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete,
            FileOptions.Asynchronous | FileOptions.SequentialScan);
        var end = count is { } length ? offset + length : RandomAccess.GetLength(file);
        var writer = inner.Writer;
        while (offset < end)
        {
            var block = (int)Math.Min(BlockSize, end - offset);
            var memory = writer.GetMemory(block);
            var read = await RandomAccess.ReadAsync(file, memory[..Math.Min(memory.Length, block)], offset, cancellationToken);
            if (read == 0)
            {
                // Headers (with the length) may be out already: fail the response rather than send it short and whole-looking.
                throw new IOException($"The file ended {end - offset} bytes before the length being sent.");
            }
            writer.Advance(read);
            offset += read;
            var flushed = await writer.FlushAsync(cancellationToken);
            if (flushed.IsCanceled || flushed.IsCompleted)
            {
                return;
            }
        }
    }

    /// <summary>Puts a sender in front of the request's body feature for the duration of <paramref name="send"/>.</summary>
    public static async Task SendWithAsync(HttpContext httpContext, Func<Task> send)
    {
        var original = httpContext.Features.Get<IHttpResponseBodyFeature>()
            ?? throw new InvalidOperationException("The response has no body feature.");
        httpContext.Features.Set<IHttpResponseBodyFeature>(new LargeBlockFileSender(original));
        try
        {
            await send();
        }
        finally
        {
            httpContext.Features.Set(original);
        }
    }
}
