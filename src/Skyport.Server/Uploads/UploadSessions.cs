using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;
using Skyport.Server.Users;

namespace Skyport.Server.Uploads;

/// <summary>
/// Bytes received ahead of a dataset: TUS sessions filled by clients, and sessions the server fills
/// itself from a pasted text or a multipart file. Each is a file named by the session id.
/// </summary>
public sealed class UploadSessions(
    SkyportDbContext db,
    CurrentUser current,
    DataDirectory data,
    IOptions<UploadOptions> options,
    UploadHashes hashes,
    TimeProvider clock)
{
    private readonly List<string> _filledHere = [];

    public string PathFor(string sessionId) => Path.Combine(data.Uploads, sessionId);

    public async Task<UploadSession> CreateAsync(long length, string? filename, CancellationToken cancellationToken)
    {
        if (length < 0)
        {
            throw new RequestParameterInvalidException("Upload-Length must not be negative.");
        }
        if (length > options.Value.MaxUploadBytes)
        {
            throw new PayloadTooLargeException($"Upload of {length} bytes exceeds the limit of {options.Value.MaxUploadBytes} bytes.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var session = new UploadSession
        {
            Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            UserId = current.Id,
            Length = length,
            Filename = filename is { Length: > 1024 } ? filename[..1024] : filename,
            CreateTime = now,
            ExpiresAt = now.AddHours(options.Value.SessionHours),
        };
        await File.WriteAllBytesAsync(PathFor(session.Id), [], cancellationToken);
        db.UploadSessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        // Later changes are set-based; a tracked copy would be written again by the next SaveChanges of this scope.
        db.Entry(session).State = EntityState.Detached;
        return session;
    }

    /// <summary>A session of the caller's; 404 for unknown or expired ids, 403 for someone else's.</summary>
    public async Task<UploadSession> FindOwnedAsync(string sessionId, CancellationToken cancellationToken)
    {
        var session = sessionId is { Length: 32 } && sessionId.All(char.IsAsciiHexDigitLower)
            ? await db.UploadSessions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == sessionId, cancellationToken)
            : null;
        if (session is null || session.ExpiresAt < clock.GetUtcNow().UtcDateTime)
        {
            throw new ObjectNotFoundException($"Upload session '{Truncate(sessionId)}' not found (it may have expired, or already become a dataset).");
        }
        if (session.UserId != current.Id)
        {
            throw new ItemAccessibilityException("Upload session is not accessible by the current user.");
        }
        return session;
    }

    /// <summary>Bytes received so far: the length of the session's file.</summary>
    public long OffsetOf(string sessionId)
    {
        var file = new FileInfo(PathFor(sessionId));
        return file.Exists ? file.Length : 0;
    }

    /// <summary>A session ready to become a dataset: owned by the caller and completely received.</summary>
    public async Task<UploadSession> FindCompleteAsync(string sessionId, CancellationToken cancellationToken)
    {
        var session = await FindOwnedAsync(sessionId, cancellationToken);
        var offset = OffsetOf(sessionId);
        if (offset != session.Length)
        {
            throw new RequestParameterInvalidException(
                $"Upload session '{sessionId}' is incomplete: {offset} of {session.Length} bytes received.");
        }
        return session;
    }

    /// <summary>Appends a TUS PATCH body at <paramref name="offset"/>, which must be where the file ends.</summary>
    public async Task<long> AppendAsync(string sessionId, long offset, Stream body, CancellationToken cancellationToken)
    {
        var session = await FindOwnedAsync(sessionId, cancellationToken);
        FileStream file;
        try
        {
            file = new FileStream(PathFor(sessionId), new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.Asynchronous, BufferSize = 0,
            });
        }
        catch (IOException)
        {
            throw new ConflictException("Another request is writing to this upload session.");
        }
        await using (file)
        {
            if (file.Length != offset)
            {
                throw new ConflictException($"Upload-Offset {offset} does not match the current offset {file.Length}.");
            }
            file.Seek(offset, SeekOrigin.Begin);
            var hash = hashes.ForAppend(sessionId, offset);
            try
            {
                await HashingCopy.CopyAsync(body, file, hash, session.Length - offset, null, cancellationToken, expectedLength: session.Length - offset);
            }
            catch
            {
                // The hash may now disagree with what reached the disk; the importer will hash the file instead.
                hashes.Forget(sessionId);
                throw;
            }
            return file.Length;
        }
    }

    /// <summary>A complete session filled by the server (pasted text, multipart file part).</summary>
    public async Task<UploadSession> CreateFromStreamAsync(Stream content, string? filename, CancellationToken cancellationToken)
    {
        var session = await CreateAsync(0, filename, cancellationToken);
        _filledHere.Add(session.Id);
        long length;
        await using (var file = new FileStream(PathFor(session.Id), FileMode.Open, FileAccess.Write, FileShare.None, 0, FileOptions.Asynchronous))
        {
            await HashingCopy.CopyAsync(content, file, null, options.Value.MaxUploadBytes, null, cancellationToken);
            length = file.Length;
        }
        await db.UploadSessions.Where(s => s.Id == session.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Length, length), cancellationToken);
        session.Length = length;
        return session;
    }

    /// <summary>
    /// Removes the sessions this request filled itself (pasted text, multipart parts) after the request
    /// was refused: nobody else knows their ids, so nothing else would ever remove them.
    /// </summary>
    public async Task DiscardFilledHereAsync()
    {
        foreach (var sessionId in _filledHere)
        {
            await RemoveAsync(sessionId, CancellationToken.None);
        }
        _filledHere.Clear();
    }

    /// <summary>
    /// Hands a complete session over to the job that will import it, inside the caller's transaction: its row
    /// goes (the job reads the file by id), so the same session can never feed a second dataset.
    /// </summary>
    public async Task ClaimAsync(string sessionId, CancellationToken cancellationToken)
    {
        if (await db.UploadSessions.Where(s => s.Id == sessionId).ExecuteDeleteAsync(cancellationToken) != 1)
        {
            throw new ObjectNotFoundException($"Upload session '{Truncate(sessionId)}' was already used by another request.");
        }
    }

    public async Task DeleteAsync(string sessionId, CancellationToken cancellationToken)
    {
        await FindOwnedAsync(sessionId, cancellationToken);
        await RemoveAsync(sessionId, cancellationToken);
    }

    /// <summary>Forgets a session and its file (after its bytes became a dataset, or on termination).</summary>
    public async Task RemoveAsync(string sessionId, CancellationToken cancellationToken)
    {
        await db.UploadSessions.Where(s => s.Id == sessionId).ExecuteDeleteAsync(cancellationToken);
        hashes.Forget(sessionId);
        File.Delete(PathFor(sessionId));
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "...";
}
