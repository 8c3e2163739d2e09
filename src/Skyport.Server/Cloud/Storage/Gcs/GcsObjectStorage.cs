using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google;
using Google.Cloud.Storage.V1;
using Object = Google.Apis.Storage.v1.Data.Object;

namespace Skyport.Server.Cloud.Storage.Gcs;

/// <summary>
/// Google Cloud Storage. Uploads use a resumable session whose URI is checkpointed, so after a crash the
/// upload asks GCS how much it already has and continues from there. Chunks stream from the file (the client
/// library's own resumable upload copies each chunk into memory first). The object resource carries the
/// whole file's MD5, which GCS checks when the upload completes, and Skyport's SHA-256 as metadata.
/// </summary>
public sealed class GcsObjectStorage(StorageClient client, int uploadChunkBytes) : IObjectStorage
{
    public const string Sha256Metadata = "skyport-sha256";

    public string Provider => "gcp";

    public async Task CheckBucketAsync(string bucket, CancellationToken cancellationToken) =>
        await Call($"bucket {bucket}", async () =>
        {
            await foreach (var _ in client.ListObjectsAsync(bucket, null, new ListObjectsOptions { PageSize = 1 }).AsRawResponses().WithCancellation(cancellationToken))
            {
                break;
            }
            return true;
        });

    public async Task<StoredObject?> HeadAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            return ToStored(await Call($"{bucket}/{key}", () => client.GetObjectAsync(bucket, key, cancellationToken: cancellationToken)));
        }
        catch (StorageException e) when (e.Failure == StorageFailure.NotFound)
        {
            return null;
        }
    }

    public async Task<ObjectListing> ListAsync(string bucket, string? prefix, string? delimiter, int limit, string? pageToken, CancellationToken cancellationToken) =>
        await Call($"bucket {bucket}", async () =>
        {
            var responses = client.ListObjectsAsync(bucket, prefix, new ListObjectsOptions
            {
                Delimiter = string.IsNullOrEmpty(delimiter) ? null : delimiter,
                PageSize = limit,
                PageToken = pageToken,
            }).AsRawResponses();
            await foreach (var page in responses.WithCancellation(cancellationToken))
            {
                return new ObjectListing((page.Items ?? []).Select(ToStored).ToList(), page.Prefixes?.ToList() ?? [], page.NextPageToken);
            }
            return new ObjectListing([], [], null);
        });

    /// <summary>
    /// One plain media GET (the JSON API's <c>alt=media</c>) with a Range header, streamed as it arrives through the
    /// library's authenticated HTTP client. The library's own download runs a chunked downloader that fills a
    /// multi-megabyte buffer per call, which for parallel ranged parts cost the server over 100 MB. The answer must be
    /// exactly the range asked for; the downloaded file's hashes are checked against the object's afterwards.
    /// </summary>
    public async Task<Stream> OpenReadAsync(string bucket, string key, long offset, long length, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return Stream.Null;
        }
        var what = $"{bucket}/{key}";
        var response = await Call(what, async () =>
        {
            using var request = client.Service.Objects.Get(bucket, key).CreateRequest();
            request.RequestUri = new UriBuilder(request.RequestUri!) { Query = MediaQuery(request.RequestUri!.Query) }.Uri;
            request.Headers.Range = new RangeHeaderValue(offset, offset + length - 1);
            var answer = await client.Service.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!answer.IsSuccessStatusCode)
            {
                using (answer)
                {
                    var text = await answer.Content.ReadAsStringAsync(cancellationToken);
                    throw new GoogleApiException("storage", $"HTTP {(int)answer.StatusCode}: {text[..Math.Min(text.Length, 300)]}") { HttpStatusCode = answer.StatusCode };
                }
            }
            return answer;
        });
        var range = response.Content.Headers.ContentRange;
        var exact = response.StatusCode == HttpStatusCode.PartialContent
            ? range is { From: { } from, To: { } to } && from == offset && to == offset + length - 1
            : offset == 0 && response.Content.Headers.ContentLength == length;
        if (!exact)
        {
            response.Dispose();
            throw new StorageException($"GCS answered a read of bytes {offset}-{offset + length - 1} of {what} with {(int)response.StatusCode} {range}.",
                StorageFailure.Transient);
        }
        return new ResponseBodyStream(await response.Content.ReadAsStreamAsync(cancellationToken), response);
    }

    private static string MediaQuery(string query)
    {
        var parameters = query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries).Where(p => !p.StartsWith("alt=", StringComparison.Ordinal));
        return string.Join('&', parameters.Append("alt=media"));
    }

    public async Task<StoredObject> UploadAsync(UploadRequest request, string? checkpoint, Func<string, Task> saveCheckpoint,
        Action<long> progress, CancellationToken cancellationToken)
    {
        var what = $"{request.Bucket}/{request.Key}";
        var state = checkpoint is null ? null : JsonSerializer.Deserialize<UploadCheckpoint>(checkpoint);
        long? received = null; // unknown: the session is asked first
        var restarted = false;
        if (state?.Sha256 != request.Sha256)
        {
            state = await StartSessionAsync(request, saveCheckpoint, cancellationToken);
            (received, restarted) = (0, true);
        }
        var failures = 0;
        while (received != Completed)
        {
            try
            {
                // A resumed or failed upload first asks the session what it kept, as GCS asks of resuming clients.
                received ??= await Call(what, () => ReceivedAsync(new Uri(state.SessionUri), request.Size, cancellationToken));
                if (received == SessionGone)
                {
                    if (restarted)
                    {
                        throw new StorageException($"The upload session of {request.Key} ended; it will be restarted.", StorageFailure.Transient);
                    }
                    // Expired or cancelled: start again (nothing of the old session is visible).
                    state = await StartSessionAsync(request, saveCheckpoint, cancellationToken);
                    (received, restarted) = (0, true);
                }
                if (received == Completed)
                {
                    break; // finished before a crash, or its last answer was lost
                }
                progress(received.Value);
                var offset = received.Value;
                received = await Call(what, () => SendChunkAsync(new Uri(state.SessionUri), request, offset, cancellationToken));
                failures = 0;
                progress(received == Completed ? request.Size : Math.Max(0, received.Value));
            }
            catch (StorageException e) when (e.Failure == StorageFailure.Transient && received != SessionGone && ++failures < ChunkTries)
            {
                await Task.Delay(TimeSpan.FromSeconds(failures), cancellationToken);
                received = null;
            }
        }
        return await HeadAsync(request.Bucket, request.Key, cancellationToken)
            ?? throw new StorageException($"{what} is missing right after it was uploaded.", StorageFailure.Transient);
    }

    /// <summary>Tries of one chunk (or status query) within an attempt; the job's own retries come on top.</summary>
    private const int ChunkTries = 4;
    private const long Completed = -1;
    private const long SessionGone = -2;

    /// <summary>Starts a resumable session and checkpoints its URI before any byte is sent.</summary>
    private async Task<UploadCheckpoint> StartSessionAsync(UploadRequest request, Func<string, Task> saveCheckpoint, CancellationToken cancellationToken)
    {
        var resource = new Object
        {
            Bucket = request.Bucket,
            Name = request.Key,
            Md5Hash = Convert.ToBase64String(Convert.FromHexString(request.Md5)),
            Metadata = new Dictionary<string, string> { [Sha256Metadata] = request.Sha256 },
        };
        var session = await Call($"{request.Bucket}/{request.Key}", () => client.InitiateUploadSessionAsync(resource, request.Size,
            new UploadObjectOptions { ChunkSize = uploadChunkBytes }, cancellationToken));
        var state = new UploadCheckpoint(session.ToString(), request.Sha256);
        await saveCheckpoint(JsonSerializer.Serialize(state));
        return state;
    }

    /// <summary>Asks the session how much it holds (an empty PUT with "bytes */size").</summary>
    private async Task<long> ReceivedAsync(Uri session, long size, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent([]);
        content.Headers.ContentRange = new ContentRangeHeaderValue(size);
        using var response = await client.Service.HttpClient.PutAsync(session, content, cancellationToken);
        return await SessionStateAsync(response, cancellationToken);
    }

    /// <summary>
    /// Sends one chunk straight from the file (no chunk-sized buffer: memory does not grow with the chunk size).
    /// Every chunk but the last is a multiple of 256 KiB, as GCS requires.
    /// </summary>
    private async Task<long> SendChunkAsync(Uri session, UploadRequest request, long offset, CancellationToken cancellationToken)
    {
        var length = Math.Min(uploadChunkBytes, request.Size - offset);
        await using var body = new FileSegmentStream(request.SourcePath, offset, length);
        using var content = new StreamContent(body);
        content.Headers.ContentLength = length;
        content.Headers.ContentRange = length == 0 ? new ContentRangeHeaderValue(request.Size) : new ContentRangeHeaderValue(offset, offset + length - 1, request.Size);
        using var response = await client.Service.HttpClient.PutAsync(session, content, cancellationToken);
        return await SessionStateAsync(response, cancellationToken);
    }

    /// <returns>The bytes the session holds (308), <see cref="Completed"/> (200/201) or <see cref="SessionGone"/> (404, 410, 499).</returns>
    private static async Task<long> SessionStateAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        switch ((int)response.StatusCode)
        {
            case 200 or 201:
                return Completed;
            case 308:
                return response.Headers.TryGetValues("Range", out var ranges) && ranges.FirstOrDefault() is { } range
                    && range.StartsWith("bytes=0-", StringComparison.Ordinal) && long.TryParse(range["bytes=0-".Length..], out var last)
                    ? last + 1
                    : 0;
            case 404 or 410 or 499:
                return SessionGone;
        }
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new GoogleApiException("storage", $"The upload session answered {(int)response.StatusCode}: {text[..Math.Min(text.Length, 300)]}")
        {
            HttpStatusCode = response.StatusCode,
        };
    }

    public async Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            await Call($"{bucket}/{key}", async () =>
            {
                await client.DeleteObjectAsync(bucket, key, cancellationToken: cancellationToken);
                return true;
            });
        }
        catch (StorageException e) when (e.Failure == StorageFailure.NotFound)
        {
        }
    }

    /// <summary>A resumable session is cancelled with a DELETE on its URI; nothing of it is visible until it completes.</summary>
    public async Task AbortUploadAsync(string bucket, string key, string checkpoint, CancellationToken cancellationToken)
    {
        if (JsonSerializer.Deserialize<UploadCheckpoint>(checkpoint) is not { } state)
        {
            return;
        }
        // GCS answers 499 to a cancelled session and 404/410 to one that is gone; a busy or failing store (429, 5xx, no
        // answer) is asked again a few times, since an abort that silently fails leaves the session open for a week.
        for (var attempt = 1; ; attempt++)
        {
            string problem;
            try
            {
                using var response = await client.Service.HttpClient.DeleteAsync(state.SessionUri, cancellationToken);
                var status = (int)response.StatusCode;
                if (status is not (429 or >= 500))
                {
                    return;
                }
                problem = $"HTTP {status}";
            }
            catch (HttpRequestException e)
            {
                problem = e.Message;
            }
            if (attempt == 4)
            {
                throw new StorageException($"Could not cancel the resumable upload of {bucket}/{key}: {problem}. GCS expires it within a week.", StorageFailure.Transient);
            }
            await Task.Delay(TimeSpan.FromSeconds(0.5 * (1 << attempt)), cancellationToken);
        }
    }

    private static StoredObject ToStored(Object o) => new(o.Name, (long)(o.Size ?? 0), o.ETag, o.UpdatedDateTimeOffset?.UtcDateTime,
        o.Md5Hash is { } md5 ? Convert.ToHexStringLower(Convert.FromBase64String(md5)) : null,
        o.Metadata is { } metadata && metadata.TryGetValue(Sha256Metadata, out var sha) && sha.Length == 64 ? sha : null);

    private static async Task<T> Call<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (GoogleApiException e)
        {
            var reason = $"HTTP {(int)e.HttpStatusCode}: {e.Error?.Message ?? e.Message.Split('\n')[0]}";
            throw e.HttpStatusCode switch
            {
                HttpStatusCode.NotFound => new StorageException($"{what} was not found ({reason}).", StorageFailure.NotFound, e),
                HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => new StorageException($"Access to {what} was denied ({reason}).", StorageFailure.AccessDenied, e),
                HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout or >= HttpStatusCode.InternalServerError =>
                    new StorageException($"GCS failed on {what} ({reason}).", StorageFailure.Transient, e),
                _ => new StorageException($"GCS rejected the request for {what} ({reason}).", StorageFailure.Invalid, e),
            };
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new StorageException($"Could not reach GCS for {what}: {e.Message}", StorageFailure.Transient, e);
        }
    }

    /// <summary>The client is shared by every store opened with the same credentials; it is not this store's to dispose.</summary>
    public void Dispose()
    {
    }

    private sealed record UploadCheckpoint(string SessionUri, string Sha256);
}
