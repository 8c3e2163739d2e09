using System.Collections.Concurrent;
using Skyport.Server.Datasets;

namespace Skyport.Server.Uploads;

/// <summary>
/// Hashes of TUS uploads computed while their PATCHes arrive, so that importing a finished upload need not
/// read it all again. Held in memory only: after a restart (or when the import runs in another process)
/// the importer simply hashes the file itself. A state is used only if it has seen exactly the bytes on disk.
/// </summary>
public sealed class UploadHashes
{
    private readonly ConcurrentDictionary<string, ContentHash> _hashes = new();

    /// <summary>The state to continue at <paramref name="offset"/>, or null when it cannot be known here.</summary>
    public ContentHash? ForAppend(string sessionId, long offset)
    {
        if (offset == 0)
        {
            Forget(sessionId);
            return _hashes.GetOrAdd(sessionId, _ => new ContentHash());
        }
        if (_hashes.TryGetValue(sessionId, out var hash) && hash.Length == offset)
        {
            return hash;
        }
        Forget(sessionId);
        return null;
    }

    /// <summary>The finished hashes of a complete upload of <paramref name="length"/> bytes, if they were computed here.</summary>
    public CopyResult? TryTake(string sessionId, long length)
    {
        if (!_hashes.TryRemove(sessionId, out var hash))
        {
            return null;
        }
        using (hash)
        {
            return hash.Length == length ? hash.Finish() : null;
        }
    }

    public void Forget(string sessionId)
    {
        if (_hashes.TryRemove(sessionId, out var hash))
        {
            hash.Dispose();
        }
    }
}
