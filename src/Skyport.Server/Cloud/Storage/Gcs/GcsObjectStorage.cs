using System.IO.Pipelines;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Google;
using Google.Apis.Upload;
using Google.Cloud.Storage.V1;
using Object = Google.Apis.Storage.v1.Data.Object;

namespace Skyport.Server.Cloud.Storage.Gcs;

/// <summary>
/// Google Cloud Storage. Uploads use a resumable session whose URI is checkpointed, so after a crash the
/// upload asks GCS how much it already has and continues from there. The object resource carries the
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

    /// <summary>The library downloads into a stream, so the range is produced through a pipe whose reader sees the download's failure.</summary>
    public Task<Stream> OpenReadAsync(string bucket, string key, long offset, long length, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return Task.FromResult(Stream.Null);
        }
        var pipe = new Pipe();
        _ = Task.Run(async () =>
        {
            try
            {
                await using var writer = pipe.Writer.AsStream(leaveOpen: true);
                await Call($"{bucket}/{key}", async () =>
                {
                    await client.DownloadObjectAsync(bucket, key, writer, new DownloadObjectOptions
                    {
                        Range = new RangeHeaderValue(offset, offset + length - 1),
                        DownloadValidationMode = DownloadValidationMode.Never,
                    }, cancellationToken);
                    return true;
                });
                await pipe.Writer.CompleteAsync();
            }
            catch (Exception e)
            {
                await pipe.Writer.CompleteAsync(e);
            }
        }, cancellationToken);
        return Task.FromResult(pipe.Reader.AsStream());
    }

    public async Task<StoredObject> UploadAsync(UploadRequest request, string? checkpoint, Func<string, Task> saveCheckpoint,
        Action<long> progress, CancellationToken cancellationToken)
    {
        var resource = new Object
        {
            Bucket = request.Bucket,
            Name = request.Key,
            Md5Hash = Convert.ToBase64String(Convert.FromHexString(request.Md5)),
            Metadata = new Dictionary<string, string> { [Sha256Metadata] = request.Sha256 },
        };
        var state = checkpoint is null ? null : JsonSerializer.Deserialize<UploadCheckpoint>(checkpoint);
        var uploadOptions = new UploadObjectOptions { ChunkSize = uploadChunkBytes };
        if (state?.Sha256 != request.Sha256)
        {
            var session = await Call($"{request.Bucket}/{request.Key}", () => client.InitiateUploadSessionAsync(resource, request.Size, uploadOptions, cancellationToken));
            state = new UploadCheckpoint(session.ToString(), request.Sha256);
            await saveCheckpoint(JsonSerializer.Serialize(state));
        }
        await using var file = new FileStream(request.SourcePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous);
        var upload = ResumableUpload.CreateFromUploadUri(new Uri(state.SessionUri), file);
        upload.ChunkSize = uploadChunkBytes;
        upload.ProgressChanged += p => progress(p.BytesSent);
        var result = await Call($"{request.Bucket}/{request.Key}", () => upload.ResumeAsync(cancellationToken));
        if (result.Status != UploadStatus.Completed)
        {
            throw result.Exception switch
            {
                GoogleApiException g when g.HttpStatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone =>
                    new StorageException($"The upload session of {request.Key} expired; it will be restarted.", StorageFailure.Transient, g),
                GoogleApiException g when g.HttpStatusCode == HttpStatusCode.BadRequest =>
                    new StorageException($"GCS refused {request.Key}: {g.Message}", StorageFailure.Invalid, g),
                var e => new StorageException($"Uploading {request.Key} stopped: {e?.Message}", StorageFailure.Transient, e),
            };
        }
        progress(request.Size);
        return await HeadAsync(request.Bucket, request.Key, cancellationToken)
            ?? throw new StorageException($"{request.Bucket}/{request.Key} is missing right after it was uploaded.", StorageFailure.Transient);
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
        if (JsonSerializer.Deserialize<UploadCheckpoint>(checkpoint) is { } state)
        {
            try
            {
                using var _ = await client.Service.HttpClient.DeleteAsync(state.SessionUri, cancellationToken);
            }
            catch (HttpRequestException)
            {
                // The session expires by itself within a week.
            }
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
