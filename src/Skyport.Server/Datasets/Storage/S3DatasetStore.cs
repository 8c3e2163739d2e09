using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Skyport.Server.Cloud.Storage;
using Skyport.Server.Cloud.Storage.S3;
using Skyport.Server.Jobs;

namespace Skyport.Server.Datasets.Storage;

/// <summary>
/// Dataset bytes in an S3-compatible bucket configured by the administrator, one object per dataset
/// (<c>{Prefix}xx/{uuid}.dat</c>). Commits upload the staged file through <see cref="S3ObjectStorage"/>, the same code
/// that sends to users' buckets: one PUT with Content-MD5, or a multipart upload with parallel parts each with its
/// Content-MD5, Skyport's SHA-256 as <c>x-amz-meta-skyport-sha256</c>, then size, SHA-256 and (single PUT) MD5 compared
/// with what the store reports. A failed or mismatched commit aborts the multipart upload and deletes the object.
/// </summary>
public sealed class S3DatasetStore(S3Connection connection, DatasetStorageOptions options, TransferOptions transfers, DatasetStorage staging,
    ILogger<S3DatasetStore> logger) : IDatasetStore, IDisposable
{
    private static readonly TimeSpan[] CleanupDelays = [TimeSpan.Zero, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    private readonly IAmazonS3 _client = connection.Client;
    private readonly S3ObjectStorage _objects = new(connection.Client, connection.Presigner, transfers);
    private readonly string _bucket = options.Bucket!;

    public string Description => $"bucket {_bucket}{(options.Prefix.Length > 0 ? $" (prefix {options.Prefix})" : "")} at {options.ServiceUrl ?? $"AWS {options.Region}"}";

    public string KeyFor(Guid uuid)
    {
        var name = uuid.ToString("N");
        return $"{options.Prefix}{name[..2]}/{name}.dat";
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        await _objects.CheckBucketAsync(_bucket, cancellationToken);
        // Reading is not enough: commits write and purges delete, so prove both with a small probe object.
        var probe = $"{options.Prefix}.skyport-probe/{Guid.NewGuid():N}";
        try
        {
            await _client.PutObjectAsync(new PutObjectRequest { BucketName = _bucket, Key = probe, ContentBody = "probe", UseChunkEncoding = false }, cancellationToken);
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _bucket, Key = probe }, cancellationToken);
        }
        catch (AmazonS3Exception e)
        {
            throw new StorageException($"Could not write and delete a probe object in bucket {_bucket} ({e.ErrorCode}: {e.Message}).", StorageFailure.AccessDenied, e);
        }
    }

    public string? LocalPath(Guid uuid) => null;

    public async Task<bool> ExistsAsync(Guid uuid, CancellationToken cancellationToken) =>
        await _objects.HeadAsync(_bucket, KeyFor(uuid), cancellationToken) is not null;

    public async Task CommitAsync(string stagedPath, Guid uuid, CopyResult hashes, CancellationToken cancellationToken)
    {
        var key = KeyFor(uuid);
        string? upload = null;
        try
        {
            var stored = await _objects.UploadAsync(new UploadRequest(_bucket, key, stagedPath, hashes.Length, hashes.Md5, hashes.Sha256), null,
                checkpoint =>
                {
                    upload = checkpoint;
                    return Task.CompletedTask;
                }, _ => { }, cancellationToken);
            // A single PUT's ETag is the MD5 of the bytes; multipart ETags are not. One of the two must vouch for the bytes:
            // the SHA-256 metadata read back, or (a single PUT answered with our MD5 as its ETag) the store's own MD5.
            var singlePart = hashes.Length < transfers.MultipartThreshold;
            var problem = stored.Size != hashes.Length ? $"size {stored.Size} instead of {hashes.Length}"
                : stored.Sha256 is { } sha && sha != hashes.Sha256 ? $"SHA-256 metadata {sha} instead of {hashes.Sha256}"
                : singlePart && stored.Md5 is { } md5 && md5 != hashes.Md5 ? $"MD5 {md5} instead of {hashes.Md5}"
                : stored.Sha256 is null && !(singlePart && stored.Md5 == hashes.Md5) ? $"no SHA-256 metadata (expected {hashes.Sha256})"
                : null;
            if (problem is not null)
            {
                throw new JobFailedException($"Verification of the stored dataset {_bucket}/{key} failed: the store reported {problem}. The object was removed.");
            }
        }
        catch (Exception e)
        {
            await CleanUpAsync(key, upload);
            if (e is StorageException storage)
            {
                throw storage.Failure == StorageFailure.Transient
                    ? new TransientJobException($"Storing the dataset failed: {storage.Message}", storage)
                    : new JobFailedException($"Storing the dataset failed: {storage.Message}", storage);
            }
            throw;
        }
    }

    public async Task<Stream> OpenReadAsync(Guid uuid, long offset, long length, CancellationToken cancellationToken) =>
        await _objects.OpenReadAsync(_bucket, KeyFor(uuid), offset, length, cancellationToken);

    public async Task<LocalDatasetFile> GetLocalFileAsync(Guid uuid, CopyResult expected, CancellationToken cancellationToken)
    {
        var path = staging.NewTempPath();
        try
        {
            CopyResult copied;
            await using (var body = await OpenReadAsync(uuid, 0, expected.Length, cancellationToken))
            await using (var file = DatasetStorage.CreateTempFile(path))
            {
                try
                {
                    copied = await HashingCopy.CopyAsync(body, file, null, cancellationToken, expectedLength: expected.Length);
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    throw new StorageException($"The connection to the dataset store broke while reading {KeyFor(uuid)}: {e.Message}", StorageFailure.Transient, e);
                }
            }
            if (copied != expected)
            {
                throw new StorageException($"The stored bytes of dataset {uuid} ({copied.Length} bytes, SHA-256 {copied.Sha256}) differ from what was stored "
                    + $"({expected.Length} bytes, SHA-256 {expected.Sha256}).", StorageFailure.Invalid);
            }
            return new LocalDatasetFile(path, temporary: true);
        }
        catch
        {
            DatasetStorage.DeleteTemp(path);
            throw;
        }
    }

    public async Task DeleteAsync(Guid uuid, CancellationToken cancellationToken) =>
        await _objects.DeleteAsync(_bucket, KeyFor(uuid), cancellationToken);

    /// <summary>
    /// Leaves nothing of a failed commit: aborts its multipart upload and deletes the object (a single PUT may have landed
    /// before a later step failed). The store that just failed may still be flaky, so this is tried a few times.
    /// </summary>
    private async Task CleanUpAsync(string key, string? upload)
    {
        foreach (var delay in CleanupDelays)
        {
            await Task.Delay(delay, CancellationToken.None);
            try
            {
                if (upload is not null and not "null")
                {
                    await _objects.AbortUploadAsync(_bucket, key, upload, CancellationToken.None);
                    upload = null;
                }
                await _objects.DeleteAsync(_bucket, key, CancellationToken.None);
                return;
            }
            catch (Exception e) when (e is StorageException or AmazonServiceException)
            {
                logger.LogWarning("Cleaning up the failed commit of {Bucket}/{Key} failed: {Reason}", _bucket, key, e.Message);
            }
        }
        logger.LogError("A failed commit of {Bucket}/{Key} may have left an object or an unfinished multipart upload behind", _bucket, key);
    }

    public void Dispose() => _client.Dispose();
}
