using System.Text.Json;
using Microsoft.Extensions.Options;
using Skyport.Server.Datasets;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// Downloads an object into a local file. A small object is one streamed read, hashed on the way to the disk.
/// A large one comes in parallel ranged reads, each written at its offset, with finished parts checkpointed so
/// that a restarted job fetches only what is missing; the file is hashed front to back as its parts land. Either way the
/// bytes are checked against what the store vouches for (size always; MD5 and Skyport's SHA-256 when known).
/// A mismatch deletes the file and fails the job: corrupt bytes never become a dataset.
/// </summary>
public sealed class ObjectDownloader(IOptions<TransferOptions> options)
{
    /// <param name="expectedSize">The size seen when the request was checked, if known: a small object is then read at once, without a HEAD.</param>
    public async Task<CopyResult> DownloadAsync(IObjectStorage storage, string bucket, string key, long? expectedSize, string destination,
        JobContext job, CancellationToken cancellationToken)
    {
        if (expectedSize < options.Value.MultipartThreshold && job.Checkpoint<DownloadCheckpoint>() is null)
        {
            return await DownloadWholeAsync(storage, bucket, key, destination, job, cancellationToken);
        }
        var source = await storage.HeadAsync(bucket, key, cancellationToken) ?? throw Gone(bucket, key);
        return await DownloadPartsAsync(storage, bucket, source, destination, job, cancellationToken);
    }

    private static async Task<CopyResult> DownloadWholeAsync(IObjectStorage storage, string bucket, string key, string destination,
        JobContext job, CancellationToken cancellationToken)
    {
        var read = await storage.ReadAsync(bucket, key, cancellationToken) ?? throw Gone(bucket, key);
        CopyResult hashes;
        await using (read.Body)
        await using (var file = DatasetStorage.OpenEmptyTempFile(destination))
        {
            var size = read.Object.Size;
            job.ReportProgress(0, size);
            try
            {
                hashes = await HashingCopy.CopyAsync(read.Body, file, done => job.ReportProgress(done, size), cancellationToken, expectedLength: size);
            }
            catch (InvalidDataException e)
            {
                DatasetStorage.DeleteTemp(destination);
                throw new JobFailedException($"Verification of {bucket}/{key} failed: {e.Message}. The object may be corrupt; nothing was kept.", e);
            }
            catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                throw new StorageException($"The connection to the store broke while reading {key}: {e.Message}", StorageFailure.Transient, e);
            }
        }
        await VerifyAsync(bucket, read.Object, hashes, destination, job, checkpointed: false);
        return hashes;
    }

    private async Task<CopyResult> DownloadPartsAsync(IObjectStorage storage, string bucket, StoredObject source, string destination,
        JobContext job, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var partSize = source.Size < settings.MultipartThreshold ? Math.Max(source.Size, 1) : settings.PartSize;
        var partCount = (int)((source.Size + partSize - 1) / partSize);
        var checkpoint = job.Checkpoint<DownloadCheckpoint>();
        var resumable = checkpoint is not null && checkpoint.PartSize == partSize && checkpoint.ETag == source.ETag
            && checkpoint.Size == source.Size && File.Exists(destination);
        var done = resumable ? new HashSet<int>(checkpoint!.Done) : [];
        if (!resumable)
        {
            DatasetStorage.DeleteTemp(destination);
        }

        CopyResult hashes;
        using (var handle = File.OpenHandle(destination, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read, FileOptions.Asynchronous))
        {
            RandomAccess.SetLength(handle, source.Size);
            long received = done.Sum(n => Math.Min(partSize, source.Size - (long)n * partSize));
            job.ReportProgress(received, source.Size);
            // Hashing follows the landed parts in order while the rest download, rather than reading the file after them.
            await using var landed = new LandedPartsStream(destination, source.Size, partSize, done);
            using var stopHashing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var hashing = HashingCopy.CopyAsync(landed, Stream.Null, null, stopHashing.Token);
            using var saving = new SemaphoreSlim(1, 1);
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(0, partCount).Where(n => !done.Contains(n)),
                    new ParallelOptions { MaxDegreeOfParallelism = settings.PartConcurrency, CancellationToken = cancellationToken },
                    async (part, ct) =>
                    {
                        var offset = part * partSize;
                        var length = Math.Min(partSize, source.Size - offset);
                        await using (var body = await storage.OpenReadAsync(bucket, source.Key, offset, length, ct))
                        {
                            long written;
                            try
                            {
                                written = await CopyAtAsync(body, handle, offset, length, ct);
                            }
                            catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
                            {
                                // The body broke off mid-part (the headers had come): the store's fault, worth a retry.
                                throw new StorageException($"The connection to the store broke while reading part {part + 1} of {source.Key}: {e.Message}", StorageFailure.Transient, e);
                            }
                            if (written != length)
                            {
                                throw new StorageException($"The store sent {written} of {length} bytes of part {part + 1} of {source.Key}.", StorageFailure.Transient);
                            }
                        }
                        landed.Landed(part);
                        await saving.WaitAsync(ct);
                        try
                        {
                            done.Add(part);
                            job.ReportProgress(Interlocked.Add(ref received, length), source.Size);
                            if (partCount > 1)
                            {
                                // A part is checkpointed only once its bytes are on the disk: otherwise a power cut could
                                // keep the checkpoint and lose the bytes, and the resumed download would skip them (an
                                // object with no MD5 or SHA-256 to check would then be imported with a hole in it).
                                RandomAccess.FlushToDisk(handle);
                                await job.SaveCheckpointAsync(new DownloadCheckpoint(source.ETag, source.Size, partSize, [.. done]), ct);
                            }
                        }
                        finally
                        {
                            saving.Release();
                        }
                    });
                hashes = await hashing;
            }
            finally
            {
                if (!hashing.IsCompleted)
                {
                    await stopHashing.CancelAsync();
                    await hashing.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
        }

        await VerifyAsync(bucket, source, hashes, destination, job, checkpointed: true);
        return hashes;
    }

    private static async Task VerifyAsync(string bucket, StoredObject source, CopyResult hashes, string destination, JobContext job, bool checkpointed)
    {
        var problem = hashes.Length != source.Size ? $"size {hashes.Length} instead of {source.Size}"
            : source.Md5 is { } md5 && md5 != hashes.Md5 ? $"MD5 {hashes.Md5} instead of {md5}"
            : source.Sha256 is { } sha && sha != hashes.Sha256 ? $"SHA-256 {hashes.Sha256} instead of {sha}"
            : null;
        if (problem is not null)
        {
            DatasetStorage.DeleteTemp(destination);
            if (checkpointed)
            {
                await job.SaveCheckpointAsync<DownloadCheckpoint?>(null, CancellationToken.None);
            }
            throw new JobFailedException($"Verification of {bucket}/{source.Key} failed: the downloaded bytes have {problem}. The object may be corrupt; nothing was kept.");
        }
    }

    private static JobFailedException Gone(string bucket, string key) =>
        new($"The object `{key}` no longer exists in bucket `{bucket}`.");

    /// <summary>
    /// Each part in flight copies through a pooled buffer of this size. A socket read rarely fills more; with 1 MiB buffers
    /// the parts of one large get left ~15 MB more in the process (zeroed large arrays kept by the pool) for no speed.
    /// </summary>
    private const int PartCopyBufferSize = 128 << 10;

    private static async Task<long> CopyAtAsync(Stream body, Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length, CancellationToken cancellationToken)
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(PartCopyBufferSize);
        try
        {
            long written = 0;
            int read;
            while (written < length && (read = await body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - written)), cancellationToken)) > 0)
            {
                await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, read), offset + written, cancellationToken);
                written += read;
            }
            return written;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private sealed record DownloadCheckpoint(string? ETag, long Size, long PartSize, int[] Done);
}
