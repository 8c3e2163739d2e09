using Skyport.Server.Cloud.Storage;

namespace Skyport.Server.Datasets.Storage;

/// <summary>
/// A seekable, read-only view of a dataset in a remote store, for the framework's range processing: reads fetch ranged
/// GETs from the current position on demand. <paramref name="hint"/> is the range the client asked for, so that a 206
/// fetches exactly that slice; should the server read elsewhere (it decided to send the whole dataset), a fresh GET
/// from there to the end follows.
/// </summary>
internal sealed class StoredDatasetStream(IDatasetStore store, Guid uuid, long length, (long From, long To)? hint) : ReadOnlyStream
{
    private Stream? _body;
    private long _bodyEnd;
    private long _position;

    public override bool CanSeek => true;
    public override long Length => length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            if (value != _position)
            {
                CloseBody();
                _position = value;
            }
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (_position < length && buffer.Length > 0)
        {
            if (_body is null)
            {
                _bodyEnd = hint is { } h && _position >= h.From && _position <= h.To ? h.To + 1 : length;
                _body = await OpenAsync(_position, _bodyEnd - _position, cancellationToken);
            }
            var read = await _body.ReadAsync(buffer[..(int)Math.Min(buffer.Length, _bodyEnd - _position)], cancellationToken);
            if (read > 0)
            {
                _position += read;
                if (_position == _bodyEnd)
                {
                    CloseBody();
                }
                return read;
            }
            throw new IOException($"The dataset store ended the body {_bodyEnd - _position} bytes early.");
        }
        return 0;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    private async Task<Stream> OpenAsync(long offset, long count, CancellationToken cancellationToken)
    {
        try
        {
            return await store.OpenReadAsync(uuid, offset, count, cancellationToken);
        }
        catch (StorageException e) when (e.Failure == StorageFailure.Transient)
        {
            // Nothing has been sent yet when the first read fails, so the client gets Galaxy's error.
            throw new StoreUnavailableException($"The dataset store did not answer: {e.Message} Please try again.");
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => length + offset,
        };
        return _position;
    }

    private void CloseBody()
    {
        _body?.Dispose();
        _body = null;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            CloseBody();
        }
        base.Dispose(disposing);
    }
}
