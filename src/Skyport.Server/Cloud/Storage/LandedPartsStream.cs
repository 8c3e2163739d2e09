using Microsoft.Win32.SafeHandles;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// Reads a file that parallel ranged downloads are filling, front to back, each part only once it has landed:
/// hashing reads it while the later parts are still coming, instead of reading the whole file after the last one.
/// A read waits for the part it starts in; parts that landed in an earlier attempt are given at construction.
/// </summary>
internal sealed class LandedPartsStream : ReadOnlyStream
{
    private readonly SafeFileHandle _file;
    private readonly long _size;
    private readonly long _partSize;
    private readonly TaskCompletionSource[] _landed;
    private long _position;

    public LandedPartsStream(string path, long size, long partSize, IEnumerable<int> alreadyLanded)
    {
        _size = size;
        _partSize = partSize;
        _landed = new TaskCompletionSource[(int)((size + partSize - 1) / partSize)];
        for (var part = 0; part < _landed.Length; part++)
        {
            _landed[part] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        foreach (var part in alreadyLanded)
        {
            _landed[part].TrySetResult();
        }
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.Asynchronous | FileOptions.SequentialScan);
    }

    /// <summary>All bytes of <paramref name="part"/> are written: reads may go through it.</summary>
    public void Landed(int part) => _landed[part].TrySetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_position >= _size || buffer.IsEmpty)
        {
            return 0;
        }
        var part = (int)(_position / _partSize);
        await _landed[part].Task.WaitAsync(cancellationToken);
        var partEnd = Math.Min(_size, (part + 1) * _partSize);
        var read = await RandomAccess.ReadAsync(_file, buffer[..(int)Math.Min(buffer.Length, partEnd - _position)], _position, cancellationToken);
        if (read == 0)
        {
            throw new IOException($"The file ended at {_position} of {_size} bytes while it was being hashed.");
        }
        _position += read;
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Read asynchronously.");

    public override bool CanSeek => false;
    public override long Length => _size;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _file.Dispose();
        }
        base.Dispose(disposing);
    }
}
