namespace Skyport.Server.Datatypes;

/// <summary>The byte-level state machine behind <see cref="TextConversion"/>, carrying state across buffers.</summary>
internal sealed class LineConverter(bool toPosixLines, bool spaceToTab)
{
    private bool _previousWasCarriageReturn;
    private bool _inWhitespaceRun;
    private bool _wroteAnything;
    private byte _lastWritten;

    public int Convert(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int written = 0;
        foreach (byte original in input)
        {
            byte b = original;
            if (toPosixLines)
            {
                bool completesCrLf = _previousWasCarriageReturn && b == (byte)'\n';
                _previousWasCarriageReturn = b == (byte)'\r';
                if (completesCrLf)
                {
                    continue;
                }
                if (b == (byte)'\r')
                {
                    b = (byte)'\n';
                }
            }
            if (spaceToTab)
            {
                bool separator = b is (byte)' ' or (byte)'\t' or 0x0b or 0x0c;
                if (separator && _inWhitespaceRun)
                {
                    continue;
                }
                _inWhitespaceRun = separator;
                if (separator)
                {
                    b = (byte)'\t';
                }
            }
            output[written++] = b;
        }
        if (written > 0)
        {
            _wroteAnything = true;
            _lastWritten = output[written - 1];
        }
        return written;
    }

    public int Finish(Span<byte> output)
    {
        if (!toPosixLines || !_wroteAnything || _lastWritten == (byte)'\n')
        {
            return 0;
        }
        output[0] = (byte)'\n';
        return 1;
    }
}
