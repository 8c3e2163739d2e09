using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Skyport.Server.Cloud.Credentials;

namespace Skyport.Server.Cloud.Storage.S3;

/// <summary>
/// Amazon S3 and S3-compatible stores. Small objects are one PUT with Content-MD5; large ones a multipart
/// upload whose parts go up in parallel, each with its own Content-MD5, and whose progress (upload id and
/// finished parts) is checkpointed so a restarted job only sends what is missing.
/// </summary>
public sealed class S3ObjectStorage(IAmazonS3 s3, S3Presigner presigner, TransferOptions options) : IObjectStorage
{
    /// <summary>User metadata key (<c>x-amz-meta-skyport-sha256</c>) holding Skyport's SHA-256 of the object.</summary>
    public const string Sha256Metadata = "skyport-sha256";

    public string Provider => "aws";

    public async Task CheckBucketAsync(string bucket, CancellationToken cancellationToken) =>
        await Call($"bucket {bucket}", () => s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellationToken));

    /// <summary>
    /// The object's description, or null when there is no such key. The HEAD is presigned (<see cref="S3Presigner"/>) and
    /// sent on <see cref="Presigned"/>: through the SDK a missing key is an exception, thrown again at each asynchronous layer
    /// of its pipeline (about 25 throws per HEAD), and a send checks that its key is free before writing, so for small
    /// objects that was a third of the server's CPU (bench/README.md). Here a 404 is an answer.
    /// </summary>
    public Task<StoredObject?> HeadAsync(string bucket, string key, CancellationToken cancellationToken) =>
        WithRetriesAsync(() => HeadOnceAsync(bucket, key, cancellationToken), cancellationToken);

    /// <summary>A presigned request that meets a busy or unreachable store is tried again a few times, shortly, as the SDK's own are.</summary>
    private static async Task<T> WithRetriesAsync<T>(Func<Task<T>> send, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await send();
            }
            catch (StorageException e) when (e.Failure == StorageFailure.Transient && attempt < PresignedAttempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(50, 100) << (2 * attempt)), cancellationToken);
            }
        }
    }

    private const int PresignedAttempts = 3;

    private async Task<StoredObject?> HeadOnceAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        var what = $"{bucket}/{key}";
        using var response = await SendPresignedAsync(HttpMethod.Head, bucket, key, what, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw ClassifyStatus(response.StatusCode, what, $"HTTP {(int)response.StatusCode}");
        }
        return Describe(key, response, what);
    }

    /// <summary>
    /// The whole object, or null when there is no such key: a presigned GET on <see cref="Presigned"/>, like the HEAD. Through
    /// the SDK a small object's GET cost more CPU than the rest of its job's work with it: the request pipeline, and a second
    /// MD5 of the body in managed code (the SDK checks a whole object against its ETag), which the download computes and
    /// checks anyway (<see cref="ObjectDownloader"/>: size, MD5 against the ETag, SHA-256 against the metadata).
    /// </summary>
    public Task<ObjectRead?> ReadAsync(string bucket, string key, CancellationToken cancellationToken) =>
        WithRetriesAsync(() => ReadOnceAsync(bucket, key, cancellationToken), cancellationToken);

    private async Task<ObjectRead?> ReadOnceAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        var what = $"{bucket}/{key}";
        var response = await SendPresignedAsync(HttpMethod.Get, bucket, key, what, cancellationToken);
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                response.Dispose();
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorAsync(response, what, cancellationToken);
            }
            var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            return new ObjectRead(Describe(key, response, what), new ResponseBodyStream(body, response));
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends the request presigned (<see cref="S3Presigner"/>) on <see cref="Presigned"/>, and returns once the answer's
    /// headers have arrived (a GET's body is the caller's to read). Not reaching the store, or losing the connection, is transient.
    /// </summary>
    /// <param name="body">A PUT's body; <paramref name="headers"/> go with it, covered by the signature.</param>
    private async Task<HttpResponseMessage> SendPresignedAsync(HttpMethod method, string bucket, string key, string what, CancellationToken cancellationToken,
        HttpContent? body = null, IReadOnlyList<S3Presigner.SignedHeader>? headers = null)
    {
        // The URL carries the credentials: it is never logged or put into a message.
        using var request = new HttpRequestMessage(method, await presigner.PresignAsync(method, bucket, key, PresignedLifetime, headers)) { Content = body };
        foreach (var (name, value) in headers ?? [])
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                body!.Headers.TryAddWithoutValidation(name, value);
            }
        }
        try
        {
            return await Presigned.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError
                                                 or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError)
        {
            throw new StorageException($"Could not reach the store for {what}: {e.Message}", StorageFailure.Transient, e);
        }
        catch (HttpRequestException e)
        {
            throw new StorageException($"The connection to the store broke during {what}: {(e.InnerException ?? e).Message}", StorageFailure.Transient, e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StorageException($"The store did not answer in time for {what}.", StorageFailure.Transient, e);
        }
    }

    /// <summary>A presigned request is sent at once; the lifetime only has to cover a slow answer.</summary>
    private static readonly TimeSpan PresignedLifetime = TimeSpan.FromMinutes(15);

    /// <summary>Every S3 store's presigned requests share one pool of connections, renewed now and then (DNS changes).</summary>
    private static readonly HttpClient Presigned = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });

    /// <summary>What a refused GET or PUT's S3 error document says (its Code and Message), classified as the SDK's errors are.</summary>
    private static async Task<StorageException> ErrorAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        string? code = null, message = null;
        try
        {
            var document = XDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            code = document.Root?.Element("Code")?.Value;
            message = document.Root?.Element("Message")?.Value;
        }
        catch (Exception e) when (e is XmlException or HttpRequestException or IOException)
        {
            // No error document (or a broken one): the status says enough.
        }
        var reason = string.IsNullOrEmpty(code) ? $"HTTP {(int)response.StatusCode}" : $"{code}: {message}";
        return ClassifyError(response.StatusCode, code, what, reason);
    }

    private static StoredObject Describe(string key, HttpResponseMessage response, string what)
    {
        var size = response.Content.Headers.ContentLength
            ?? throw new StorageException($"The store described {what} without its size.", StorageFailure.Transient);
        return Describe(key, size, Header(response, "ETag"), response.Content.Headers.LastModified?.UtcDateTime, Header(response, $"x-amz-meta-{Sha256Metadata}"));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    /// <param name="sha256">The object's <see cref="Sha256Metadata"/>, kept only when it is a SHA-256 in hex's length.</param>
    private static StoredObject Describe(string key, long size, string? etag, DateTime? lastModified, string? sha256) =>
        new(key, size, etag, lastModified?.ToUniversalTime(), SinglePartMd5(etag), sha256 is { Length: 64 } ? sha256 : null);

    public async Task<ObjectListing> ListAsync(string bucket, string? prefix, string? delimiter, int limit, string? pageToken, CancellationToken cancellationToken)
    {
        var page = await Call($"bucket {bucket}", () => s3.ListObjectsV2Async(new ListObjectsV2Request
        {
            BucketName = bucket,
            Prefix = prefix,
            Delimiter = string.IsNullOrEmpty(delimiter) ? null : delimiter,
            MaxKeys = limit,
            ContinuationToken = pageToken,
        }, cancellationToken));
        var objects = (page.S3Objects ?? []).Select(o => new StoredObject(o.Key, o.Size ?? 0, o.ETag, o.LastModified?.ToUniversalTime(), SinglePartMd5(o.ETag), null)).ToList();
        return new ObjectListing(objects, page.CommonPrefixes ?? [], page.IsTruncated == true ? page.NextContinuationToken : null);
    }

    public async Task<Stream> OpenReadAsync(string bucket, string key, long offset, long length, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return Stream.Null;
        }
        var response = await Call($"{bucket}/{key}", () => s3.GetObjectAsync(new GetObjectRequest
        {
            BucketName = bucket,
            Key = key,
            ByteRange = new ByteRange(offset, offset + length - 1),
        }, cancellationToken));
        return new ResponseBodyStream(response.ResponseStream, response);
    }

    public async Task<StoredObject> UploadAsync(UploadRequest request, string? checkpoint, Func<string, Task> saveCheckpoint,
        Action<long> progress, CancellationToken cancellationToken)
    {
        if (request.Size <= S3HttpClientFactory.SmallBodiesWithoutExpect.MaxBytes)
        {
            var etag = await WithRetriesAsync(() => PutSmallOnceAsync(request, cancellationToken), cancellationToken);
            progress(request.Size);
            if (SinglePartMd5(etag) == request.Md5)
            {
                // As below: the store's ETag over the bytes it stored is our MD5.
                return new StoredObject(request.Key, request.Size, etag, null, request.Md5, null);
            }
        }
        else if (request.Size < options.MultipartThreshold)
        {
            await using var file = OpenSource(request.SourcePath);
            var put = new PutObjectRequest
            {
                BucketName = request.Bucket,
                Key = request.Key,
                InputStream = file,
                AutoCloseStream = false,
                MD5Digest = Convert.ToBase64String(Convert.FromHexString(request.Md5)),
                UseChunkEncoding = false,
            };
            put.Metadata[Sha256Metadata] = request.Sha256;
            var response = await Call($"{request.Bucket}/{request.Key}", () => s3.PutObjectAsync(put, cancellationToken));
            progress(request.Size);
            if (SinglePartMd5(response.ETag) == request.Md5)
            {
                // The store computed this ETag over the bytes it stored, and it is our MD5: those bytes are ours, so no HEAD
                // is needed. Only what the store vouched for is reported (not the SHA-256 metadata we sent).
                return new StoredObject(request.Key, request.Size, response.ETag, null, request.Md5, null);
            }
        }
        else
        {
            await MultipartUploadAsync(request, checkpoint is null ? null : JsonSerializer.Deserialize<MultipartCheckpoint>(checkpoint), saveCheckpoint, progress, cancellationToken);
        }
        return await HeadAsync(request.Bucket, request.Key, cancellationToken)
            ?? throw new StorageException($"{request.Bucket}/{request.Key} is missing right after it was uploaded.", StorageFailure.Transient);
    }

    /// <summary>
    /// A small object's PUT, presigned like the HEAD and the GET and sent on <see cref="Presigned"/>: through the SDK its
    /// pipeline (endpoint rules, signing, marshalling) cost a tenth of a small send's CPU. The body is the file as it is
    /// (Content-Length, no aws-chunked framing, no 100-continue: <see cref="S3HttpClientFactory.SmallBodiesWithoutExpect"/>),
    /// with Content-MD5 (the store refuses bytes that do not match it) and Skyport's SHA-256 as metadata, both signed.
    /// </summary>
    /// <returns>The ETag the store gave the object.</returns>
    private async Task<string?> PutSmallOnceAsync(UploadRequest request, CancellationToken cancellationToken)
    {
        var what = $"{request.Bucket}/{request.Key}";
        await using var file = OpenSource(request.SourcePath);
        using var body = new StreamContent(file);
        body.Headers.ContentLength = request.Size;
        S3Presigner.SignedHeader[] headers =
        [
            new("content-md5", Convert.ToBase64String(Convert.FromHexString(request.Md5))),
            new($"x-amz-meta-{Sha256Metadata}", request.Sha256),
        ];
        using var response = await SendPresignedAsync(HttpMethod.Put, request.Bucket, request.Key, what, cancellationToken, body, headers);
        if (!response.IsSuccessStatusCode)
        {
            throw await ErrorAsync(response, what, cancellationToken);
        }
        return Header(response, "ETag");
    }

    public async Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken) =>
        await Call($"{bucket}/{key}", () => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }, cancellationToken));

    public async Task AbortUploadAsync(string bucket, string key, string checkpoint, CancellationToken cancellationToken)
    {
        var state = JsonSerializer.Deserialize<MultipartCheckpoint>(checkpoint);
        if (state?.UploadId is { } uploadId)
        {
            try
            {
                await s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, cancellationToken);
            }
            catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Already gone.
            }
        }
    }

    private async Task MultipartUploadAsync(UploadRequest request, MultipartCheckpoint? state, Func<string, Task> saveCheckpoint,
        Action<long> progress, CancellationToken cancellationToken)
    {
        var partSize = options.PartSize;
        var partCount = (int)((request.Size + partSize - 1) / partSize);
        if (state is null || state.PartSize != partSize || state.Sha256 != request.Sha256)
        {
            var initiate = new InitiateMultipartUploadRequest { BucketName = request.Bucket, Key = request.Key };
            initiate.Metadata[Sha256Metadata] = request.Sha256;
            var started = await Call($"{request.Bucket}/{request.Key}", () => s3.InitiateMultipartUploadAsync(initiate, cancellationToken));
            state = new MultipartCheckpoint(started.UploadId, partSize, request.Sha256, []);
            await saveCheckpoint(JsonSerializer.Serialize(state));
        }
        var done = new ConcurrentDictionary<int, MultipartPart>(state.Parts);
        long sent = done.Keys.Sum(n => PartLength(n, partSize, request.Size));
        progress(sent);
        using var saving = new SemaphoreSlim(1, 1);
        var uploadId = state.UploadId;

        await Parallel.ForEachAsync(Enumerable.Range(1, partCount).Where(n => !done.ContainsKey(n)),
            new ParallelOptions { MaxDegreeOfParallelism = options.PartConcurrency, CancellationToken = cancellationToken },
            async (number, ct) =>
            {
                var length = PartLength(number, partSize, request.Size);
                await using (var body = new FileSegmentStream(request.SourcePath, (number - 1) * partSize, length))
                {
                    var md5 = await body.Md5Async(ct);
                    var part = await Call($"{request.Bucket}/{request.Key} part {number}", () => s3.UploadPartAsync(new UploadPartRequest
                    {
                        BucketName = request.Bucket,
                        Key = request.Key,
                        UploadId = uploadId,
                        PartNumber = number,
                        InputStream = body,
                        PartSize = length,
                        MD5Digest = Convert.ToBase64String(md5),
                        UseChunkEncoding = false,
                    }, ct));
                    done[number] = new MultipartPart(part.ETag, Convert.ToHexStringLower(md5));
                }
                await saving.WaitAsync(ct);
                try
                {
                    await saveCheckpoint(JsonSerializer.Serialize(state with { Parts = new Dictionary<int, MultipartPart>(done) }));
                    progress(Interlocked.Add(ref sent, length));
                }
                finally
                {
                    saving.Release();
                }
            });

        try
        {
            await Call($"{request.Bucket}/{request.Key}", () => s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = request.Bucket,
                Key = request.Key,
                UploadId = uploadId,
                PartETags = done.OrderBy(p => p.Key).Select(p => new PartETag(p.Key, p.Value.ETag)).ToList(),
            }, cancellationToken));
        }
        catch (StorageException e) when (e.Failure == StorageFailure.NotFound)
        {
            // The upload was aborted or expired while we were away: start again from the first part.
            await saveCheckpoint("null");
            throw new StorageException($"The multipart upload of {request.Key} no longer exists; it will be restarted.", StorageFailure.Transient, e);
        }
    }

    private static long PartLength(int number, long partSize, long size) => Math.Min(partSize, size - (number - 1) * partSize);

    private static FileStream OpenSource(string path) =>
        new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous);

    /// <summary>A plain (non-multipart, non-KMS) ETag is the object's MD5.</summary>
    private static string? SinglePartMd5(string? etag)
    {
        var value = etag?.Trim('"');
        return value is { Length: 32 } && value.All(char.IsAsciiHexDigit) ? value.ToLowerInvariant() : null;
    }

    private static async Task<T> Call<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (AmazonS3Exception e)
        {
            throw Classify(e, what);
        }
        catch (AmazonServiceException e) when (e.InnerException is HttpRequestException or IOException or TimeoutException)
        {
            throw new StorageException($"Could not reach the store for {what}: {e.InnerException.Message}", StorageFailure.Transient, e);
        }
        catch (HttpRequestException e)
        {
            throw new StorageException($"Could not reach the store for {what}: {e.Message}", StorageFailure.Transient, e);
        }
        catch (IOException e)
        {
            throw new StorageException($"The connection to the store broke during {what}: {e.Message}", StorageFailure.Transient, e);
        }
    }

    private static StorageException Classify(AmazonS3Exception e, string what) =>
        ClassifyError(e.StatusCode, e.ErrorCode, what, string.IsNullOrEmpty(e.ErrorCode) ? $"HTTP {(int)e.StatusCode}" : $"{e.ErrorCode}: {e.Message}", e);

    /// <summary>By status, except S3's busy codes, which are worth a retry whatever status a compatible store sends them with.</summary>
    private static StorageException ClassifyError(HttpStatusCode status, string? code, string what, string reason, Exception? inner = null)
    {
        var byStatus = ClassifyStatus(status, what, reason, inner);
        return byStatus.Failure == StorageFailure.Invalid && code is "SlowDown" or "RequestTimeout" or "InternalError"
            ? new StorageException($"The store is busy ({reason}).", StorageFailure.Transient, inner)
            : byStatus;
    }

    /// <param name="reason">What the store said: its error code and message, or the bare status when it said nothing (HEAD has no body).</param>
    private static StorageException ClassifyStatus(HttpStatusCode status, string what, string reason, Exception? inner = null) => status switch
    {
        HttpStatusCode.NotFound => new StorageException($"{what} was not found ({reason}).", StorageFailure.NotFound, inner),
        HttpStatusCode.Forbidden => new StorageException($"Access to {what} was denied ({reason}).", StorageFailure.AccessDenied, inner),
        HttpStatusCode.Unauthorized => new StorageException($"The store refused the credentials for {what} ({reason}).", StorageFailure.AccessDenied, inner),
        HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout => new StorageException($"The store is busy ({reason}).", StorageFailure.Transient, inner),
        >= HttpStatusCode.InternalServerError => new StorageException($"The store failed on {what} ({reason}).", StorageFailure.Transient, inner),
        _ => new StorageException($"The store rejected the request for {what} ({reason}).", StorageFailure.Invalid, inner),
    };

    /// <summary>The client is shared by every store opened with the same credentials; it is not this store's to dispose.</summary>
    public void Dispose()
    {
    }

    private sealed record MultipartCheckpoint(string UploadId, long PartSize, string Sha256, Dictionary<int, MultipartPart> Parts);

    private sealed record MultipartPart(string ETag, string Md5);
}
