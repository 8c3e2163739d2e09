namespace Skyport.Server.Datatypes;

/// <summary>
/// Galaxy's upload conversions, on bytes as Galaxy does them, streamed in fixed buffers.
/// </summary>
/// <remarks>
/// toPosixLines (convert_newlines): "\r\n" and a lone "\r" become "\n"; a non-empty input whose last byte is not
/// "\n" gets one appended. spaceToTab (sep2tabs): every run of ASCII whitespace other than line breaks — space,
/// tab, vertical tab, form feed — becomes a single tab (Galaxy's regex [^\S\n]+ after newline conversion, or
/// [^\S\r\n]+ on its own). Lines are not stripped: leading or trailing whitespace becomes a leading or trailing
/// tab, and consecutive tabs collapse into one. Galaxy applies its regex per 128 KiB block, so a run straddling a
/// block boundary yields two tabs there; this carries the run across buffers and always yields one.
/// </remarks>
public static class TextConversion
{
    private const int BufferSize = 1 << 16;

    public static async Task ConvertAsync(Stream input, Stream output, bool toPosixLines, bool spaceToTab, CancellationToken cancellationToken)
    {
        var converter = new LineConverter(toPosixLines, spaceToTab);
        var inputBuffer = new byte[BufferSize];
        // A byte in can become at most one byte out, so one output buffer per input buffer always suffices.
        var outputBuffer = new byte[BufferSize + 1];
        int read;
        while ((read = await input.ReadAsync(inputBuffer, cancellationToken)) > 0)
        {
            int written = converter.Convert(inputBuffer.AsSpan(0, read), outputBuffer);
            await output.WriteAsync(outputBuffer.AsMemory(0, written), cancellationToken);
        }
        int tail = converter.Finish(outputBuffer);
        await output.WriteAsync(outputBuffer.AsMemory(0, tail), cancellationToken);
        await output.FlushAsync(cancellationToken);
    }
}
