using System.Net;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Skyport.Server.Cloud.Storage.Azure;

/// <summary>
/// Azure Blob Storage (container = the API's bucket). Large blobs are block blobs staged in parallel
/// blocks, each with its Content-MD5; block ids are derived from the content's SHA-256 and the block
/// number, so after a crash the uncommitted block list says which blocks are already there. The whole
/// blob's MD5 goes into its Content-MD5 property and Skyport's SHA-256 into its metadata.
/// </summary>
public sealed class AzureBlobStorage(BlobServiceClient service, TransferOptions options) : IObjectStorage
{
    /// <summary>Blob metadata names must be C# identifiers.</summary>
    public const string Sha256Metadata = "skyport_sha256";

    public string Provider => "azure";

    public async Task CheckBucketAsync(string bucket, CancellationToken cancellationToken) =>
        await Call($"container {bucket}", async () =>
        {
            await foreach (var _ in service.GetBlobContainerClient(bucket).GetBlobsAsync(cancellationToken: cancellationToken).AsPages(pageSizeHint: 1))
            {
                break;
            }
            return true;
        });

    public async Task<StoredObject?> HeadAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        try
        {
            var properties = (await Call($"{bucket}/{key}", () => Blob(bucket, key).GetPropertiesAsync(cancellationToken: cancellationToken))).Value;
            return new StoredObject(key, properties.ContentLength, properties.ETag.ToString(), properties.LastModified.UtcDateTime,
                properties.ContentHash is { Length: 16 } md5 ? Convert.ToHexStringLower(md5) : null,
                properties.Metadata.TryGetValue(Sha256Metadata, out var sha) && sha.Length == 64 ? sha : null);
        }
        catch (StorageException e) when (e.Failure == StorageFailure.NotFound)
        {
            return null;
        }
    }

    public async Task<ObjectListing> ListAsync(string bucket, string? prefix, string? delimiter, int limit, string? pageToken, CancellationToken cancellationToken) =>
        await Call($"container {bucket}", async () =>
        {
            var container = service.GetBlobContainerClient(bucket);
            var pages = string.IsNullOrEmpty(delimiter)
                ? container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, cancellationToken).AsPages(pageToken, limit)
                    .Select(page => (Items: page.Values.Select(b => (Blob: b, Prefix: (string?)null)), page.ContinuationToken))
                : container.GetBlobsByHierarchyAsync(new GetBlobsByHierarchyOptions { Prefix = prefix, Delimiter = delimiter }, cancellationToken).AsPages(pageToken, limit)
                    .Select(page => (Items: page.Values.Select(h => (Blob: h.Blob, Prefix: (string?)h.Prefix)), page.ContinuationToken));
            await foreach (var page in pages.WithCancellation(cancellationToken))
            {
                var items = page.Items.ToList();
                var objects = items.Where(i => i.Blob is not null).Select(i => new StoredObject(i.Blob.Name, i.Blob.Properties.ContentLength ?? 0,
                    i.Blob.Properties.ETag?.ToString(), i.Blob.Properties.LastModified?.UtcDateTime,
                    i.Blob.Properties.ContentHash is { Length: 16 } md5 ? Convert.ToHexStringLower(md5) : null, null)).ToList();
                return new ObjectListing(objects, items.Where(i => i.Prefix is not null).Select(i => i.Prefix!).ToList(),
                    string.IsNullOrEmpty(page.ContinuationToken) ? null : page.ContinuationToken);
            }
            return new ObjectListing([], [], null);
        });

    public async Task<Stream> OpenReadAsync(string bucket, string key, long offset, long length, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return Stream.Null;
        }
        var response = await Call($"{bucket}/{key}", () => Blob(bucket, key).DownloadStreamingAsync(
            new BlobDownloadOptions { Range = new HttpRange(offset, length) }, cancellationToken));
        return response.Value.Content;
    }

    public async Task<StoredObject> UploadAsync(UploadRequest request, string? checkpoint, Func<string, Task> saveCheckpoint,
        Action<long> progress, CancellationToken cancellationToken)
    {
        var blob = service.GetBlobContainerClient(request.Bucket).GetBlockBlobClient(request.Key);
        var headers = new BlobHttpHeaders { ContentHash = Convert.FromHexString(request.Md5) };
        var metadata = new Dictionary<string, string> { [Sha256Metadata] = request.Sha256 };
        if (request.Size < options.MultipartThreshold)
        {
            await using var file = OpenSource(request.SourcePath);
            await Call($"{request.Bucket}/{request.Key}", () => blob.UploadAsync(file, new BlobUploadOptions
            {
                HttpHeaders = headers,
                Metadata = metadata,
                TransferOptions = new StorageTransferOptions { InitialTransferSize = options.MultipartThreshold, MaximumTransferSize = options.MultipartThreshold },
                TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5 },
            }, cancellationToken));
            progress(request.Size);
        }
        else
        {
            // The checkpoint says "blocks may be staged": without one, a cancelled send is never aborted and its
            // uncommitted blocks stay behind. Its content is informational (block ids derive from the SHA-256).
            if (checkpoint is null)
            {
                await saveCheckpoint(JsonSerializer.Serialize(new BlockCheckpoint(request.Sha256, options.PartSize)));
            }
            await StageAndCommitAsync(blob, request, headers, metadata, progress, cancellationToken);
        }
        return await HeadAsync(request.Bucket, request.Key, cancellationToken)
            ?? throw new StorageException($"{request.Bucket}/{request.Key} is missing right after it was uploaded.", StorageFailure.Transient);
    }

    private async Task StageAndCommitAsync(BlockBlobClient blob, UploadRequest request, BlobHttpHeaders headers, Dictionary<string, string> metadata,
        Action<long> progress, CancellationToken cancellationToken)
    {
        var partSize = options.PartSize;
        var count = (int)((request.Size + partSize - 1) / partSize);
        var ids = Enumerable.Range(1, count).Select(n => BlockId(request.Sha256, partSize, n)).ToList();
        // What is already staged (a previous attempt's work) is read from the service itself.
        var staged = new HashSet<string>();
        try
        {
            var list = await Call($"{request.Bucket}/{request.Key}", () => blob.GetBlockListAsync(BlockListTypes.Uncommitted, cancellationToken: cancellationToken));
            staged.UnionWith(list.Value.UncommittedBlocks.Select(b => b.Name));
        }
        catch (StorageException e) when (e.Failure == StorageFailure.NotFound)
        {
        }
        long sent = ids.Select((id, index) => staged.Contains(id) ? Math.Min(partSize, request.Size - index * partSize) : 0).Sum();
        progress(sent);
        await Parallel.ForEachAsync(Enumerable.Range(0, count).Where(i => !staged.Contains(ids[i])),
            new ParallelOptions { MaxDegreeOfParallelism = options.PartConcurrency, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                var length = Math.Min(partSize, request.Size - index * partSize);
                await using (var body = new FileSegmentStream(request.SourcePath, index * partSize, length))
                {
                    var md5 = await body.Md5Async(ct);
                    await Call($"{request.Bucket}/{request.Key} block {index + 1}", () => blob.StageBlockAsync(ids[index], body, new BlockBlobStageBlockOptions
                    {
                        TransferValidation = new UploadTransferValidationOptions { ChecksumAlgorithm = StorageChecksumAlgorithm.MD5, PrecalculatedChecksum = md5 },
                    }, ct));
                }
                progress(Interlocked.Add(ref sent, length));
            });
        await Call($"{request.Bucket}/{request.Key}", () => blob.CommitBlockListAsync(ids, new CommitBlockListOptions { HttpHeaders = headers, Metadata = metadata }, cancellationToken));
    }

    public async Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken) =>
        await Call($"{bucket}/{key}", () => Blob(bucket, key).DeleteIfExistsAsync(cancellationToken: cancellationToken));

    /// <summary>
    /// Uncommitted blocks cannot be deleted one by one; on a blob that does not exist yet, committing an empty list
    /// (only while no blob exists: If-None-Match *) and deleting exactly that empty blob (If-Match its ETag) removes
    /// them. With no staged blocks nothing is done, so no empty blob ever appears for nothing. An existing blob is left
    /// alone (Azure drops stale blocks after a week).
    /// </summary>
    public async Task AbortUploadAsync(string bucket, string key, string checkpoint, CancellationToken cancellationToken)
    {
        var blob = service.GetBlobContainerClient(bucket).GetBlockBlobClient(key);
        try
        {
            var staged = await Call($"{bucket}/{key}", () => blob.GetBlockListAsync(BlockListTypes.Uncommitted, cancellationToken: cancellationToken));
            if (!staged.Value.UncommittedBlocks.Any() || await HeadAsync(bucket, key, cancellationToken) is not null)
            {
                return;
            }
        }
        catch (StorageException e) when (e.Failure == StorageFailure.NotFound)
        {
            return;
        }
        BlobContentInfo empty;
        try
        {
            empty = (await Call($"{bucket}/{key}", () => blob.CommitBlockListAsync([], new CommitBlockListOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
            }, cancellationToken))).Value;
        }
        catch (StorageException e) when (e.InnerException is RequestFailedException { Status: 409 or 412 })
        {
            return; // a blob appeared meanwhile (another abort's, or a commit that landed): not this abort's to remove
        }
        try
        {
            await Call($"{bucket}/{key}", () => blob.DeleteAsync(conditions: new BlobRequestConditions { IfMatch = empty.ETag }, cancellationToken: cancellationToken));
        }
        catch (StorageException e) when (e.InnerException is RequestFailedException { Status: 404 or 412 })
        {
            // Already gone, or replaced by a newer blob that is not this abort's.
        }
    }

    /// <summary>Same length for every block of a blob (Azure requires it), unique per content and part size.</summary>
    private static string BlockId(string sha256, long partSize, int number) =>
        Convert.ToBase64String(Encoding.ASCII.GetBytes($"{sha256[..24]}-{partSize:x8}-{number:D6}"));

    private BlobClient Blob(string bucket, string key) => service.GetBlobContainerClient(bucket).GetBlobClient(key);

    private static FileStream OpenSource(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.Asynchronous);

    private static async Task<T> Call<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (RequestFailedException e)
        {
            var reason = string.IsNullOrEmpty(e.ErrorCode) ? $"HTTP {e.Status}" : $"{e.ErrorCode}: {e.Message.Split('\n')[0]}";
            throw e.Status switch
            {
                404 => new StorageException($"{what} was not found ({reason}).", StorageFailure.NotFound, e),
                401 or 403 => new StorageException($"Access to {what} was denied ({reason}).", StorageFailure.AccessDenied, e),
                0 or 408 or 429 or >= 500 => new StorageException($"The storage account failed on {what} ({reason}).", StorageFailure.Transient, e),
                _ => new StorageException($"The storage account rejected the request for {what} ({reason}).", StorageFailure.Invalid, e),
            };
        }
        catch (Exception e) when (e is HttpRequestException or IOException or AggregateException { InnerException: HttpRequestException or IOException })
        {
            throw new StorageException($"Could not reach the storage account for {what}: {e.Message}", StorageFailure.Transient, e);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(i => i is RequestFailedException { Status: 0 } or HttpRequestException or IOException))
        {
            // Azure.Core's retry policy gives up on connection failures with an AggregateException of one
            // RequestFailedException (status 0) per try: an outage, worth retrying like any other.
            throw new StorageException($"Could not reach the storage account for {what}: {e.Message}", StorageFailure.Transient, e);
        }
    }

    public void Dispose()
    {
    }

    private sealed record BlockCheckpoint(string Sha256, long PartSize);
}
