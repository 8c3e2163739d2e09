using System.Security.Cryptography;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// A read-only, seekable view of bytes [offset, offset + length) of a file, so a part can be hashed and
/// uploaded (and re-read by an SDK that signs the body) straight from the file, without a part-sized buffer.
/// </summary>
public sealed class FileSegmentStream : ReadOnlyStream
{
    private readonly FileStream _file;
    private readonly long _offset;
    private readonly long _length;
    private long _position;

    public FileSegmentStream(string path, long offset, long length)
    {
        _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        _offset = offset;
        _length = length;
        _file.Position = offset;
    }

    /// <summary>MD5 of the segment; leaves the position at the start.</summary>
    public async Task<byte[]> Md5Async(CancellationToken cancellationToken)
    {
        Position = 0;
        var md5 = await MD5.HashDataAsync(this, cancellationToken);
        Position = 0;
        return md5;
    }

    public override bool CanSeek => true;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, _length);
            _position = value;
            _file.Position = _offset + value;
        }
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var read = _file.Read(buffer[..Remaining(buffer.Length)]);
        _position += read;
        return read;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var read = await _file.ReadAsync(buffer[..Remaining(buffer.Length)], cancellationToken);
        _position += read;
        return read;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        return _position;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }
        base.Dispose(disposing);
    }

    private int Remaining(int wanted) => (int)Math.Min(wanted, _length - _position);
}
