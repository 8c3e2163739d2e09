using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Datasets.Storage;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// One dataset to one object. The final key is decided once (conflict policy) and checkpointed with the
/// upload's own progress, so a restarted job continues the same upload to the same key. Afterwards the
/// object's size and Skyport's SHA-256 (and the MD5 where the store vouches for it) must match the dataset.
/// </summary>
public sealed class CloudSendJobHandler(CloudTransfers transfers, SkyportDbContext db, IDatasetStore files, IOptions<TransferOptions> options,
    IOptions<JobsOptions> jobs, TimeProvider clock, ILogger<CloudSendJobHandler> logger, Operations.Metrics.SkyportMetrics metrics) : IJobHandler
{
    private static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(30);

    // Every send reads its dataset: compiled, since building the query cost more than running it.
    private static readonly CompiledQuery<Func<SkyportDbContext, long, CancellationToken, Task<Dataset?>>> DatasetById = new(() =>
        EF.CompileAsyncQuery((SkyportDbContext db, long id, CancellationToken _) => db.Datasets.AsNoTracking().FirstOrDefault(d => d.Id == id)));

    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var parameters = context.Parameters<CloudSendParameters>();
        using var span = Operations.Telemetry.SkyportTelemetry.StartTransfer("send", parameters.Bucket);
        var datasetId = context.Job.InputDatasetId ?? throw new JobFailedException("Cloud send job has no input dataset.");
        var dataset = await DatasetById.For(db)(db, datasetId, cancellationToken);
        if (dataset is null || dataset.Purged || dataset.State != DatasetState.Ok
            || !await CloudTransfers.JobStepAsync(() => files.ExistsAsync(dataset.Uuid, cancellationToken)))
        {
            throw new JobFailedException("The dataset to send was deleted, purged or is no longer ok.");
        }
        var md5 = dataset.Md5 ?? throw new JobFailedException("The dataset has no MD5; it cannot be verified after sending.");
        var sha256 = dataset.Sha256 ?? throw new JobFailedException("The dataset has no SHA-256; it cannot be verified after sending.");

        using var storage = await CloudTransfers.JobStepAsync(() => transfers.OpenForJobAsync(parameters.AuthzId, context.Job, cancellationToken));
        var checkpoint = context.Checkpoint<SendCheckpoint>();
        if (checkpoint is null)
        {
            var (key, keyWasFree) = await CloudTransfers.JobStepAsync(() => ChooseKeyAsync(storage, parameters, dataset.FileSize, cancellationToken));
            if (key is null)
            {
                context.ReportInfo($"Skipped: {parameters.Bucket}/{parameters.Key} already exists.");
                return;
            }
            checkpoint = new SendCheckpoint(key, null, keyWasFree, sha256);
            await context.SaveCheckpointAsync(checkpoint, cancellationToken);
        }

        // The stored file itself, or (remote dataset store) a verified local copy removed when the send ends.
        using var source = await CloudTransfers.JobStepAsync(() => files.GetLocalFileAsync(dataset.Uuid, new CopyResult(dataset.FileSize, md5, sha256), cancellationToken));
        var request = new UploadRequest(parameters.Bucket, checkpoint.FinalKey, source.Path, dataset.FileSize, md5, sha256);
        StoredObject stored;
        try
        {
            stored = await CloudTransfers.JobStepAsync(() => storage.UploadAsync(request, checkpoint.Upload,
                async upload =>
                {
                    checkpoint = checkpoint with { Upload = upload };
                    await context.SaveCheckpointAsync(checkpoint, CancellationToken.None);
                },
                done => context.ReportProgress(done, dataset.FileSize), cancellationToken));
        }
        catch (Exception e) when ((checkpoint.Upload is not null || checkpoint.KeyWasFree == true) && !context.ShuttingDown)
        {
            // The job ends here (cancelled, or failed for good): leave no parts, open upload or landed object behind in the
            // bucket. Not when shutting down or taken over by another worker: then the upload is resumed.
            if (await EndsTheJobAsync(context, e))
            {
                await AbortAsync(storage, parameters.Bucket, checkpoint, context.Job.Id);
            }
            throw;
        }

        var problem = stored.Size != dataset.FileSize ? $"size {stored.Size} instead of {dataset.FileSize}"
            : stored.Sha256 is { } sha && sha != sha256 ? $"SHA-256 metadata {sha} instead of {sha256}"
            // A single PUT's ETag is the MD5 of the bytes; multipart ETags are not (and some stores omit their "-N").
            : dataset.FileSize < options.Value.MultipartThreshold && stored.Md5 is { } storedMd5 && storedMd5 != md5 ? $"MD5 {storedMd5} instead of {md5}"
            : null;
        if (problem is not null)
        {
            // A corrupt copy must not stay behind looking like a good one.
            await storage.DeleteAsync(parameters.Bucket, checkpoint.FinalKey, CancellationToken.None);
            throw new JobFailedException($"Verification of {parameters.Bucket}/{checkpoint.FinalKey} failed: the store reported {problem}. The object was removed.");
        }
        metrics.Transferred(storage.Provider, "send", dataset.FileSize);
        context.ReportInfo($"Sent to {parameters.Bucket}/{checkpoint.FinalKey} ({dataset.FileSize} bytes, SHA-256 {sha256}).");
    }

    /// <summary>A user's cancel (the row says so; a lost lease also cancels), a failure retrying cannot fix, or the last attempt's failure.</summary>
    private async Task<bool> EndsTheJobAsync(JobContext context, Exception failure) => failure is OperationCanceledException
        ? await db.Jobs.AsNoTracking().AnyAsync(j => j.Id == context.Job.Id && j.CancelRequested, CancellationToken.None)
        : !JobFailure.IsTransient(failure) || context.Job.Attempts >= jobs.Value.MaxAttempts;

    /// <summary>Best effort: the job's own outcome is what the caller reports.</summary>
    private async Task AbortAsync(IObjectStorage storage, string bucket, SendCheckpoint checkpoint, long jobId)
    {
        using var timeout = new CancellationTokenSource(AbortTimeout);
        try
        {
            await UnfinishedSend.AbortAsync(storage, bucket, checkpoint, timeout.Token);
        }
        catch (Exception e)
        {
            logger.LogWarning("Job {JobId}: aborting the unfinished upload of {Bucket}/{Key} failed: {Reason}", jobId, bucket, checkpoint.FinalKey, e.Message);
        }
    }

    /// <returns>
    /// The key to write (null to skip; never an existing key unless the policy is overwrite), and whether it was free:
    /// known for every key checked, so that an aborted send can take back an object that landed while it was cancelled.
    /// A small overwrite is one request with nothing to abort, so it is not checked (one round trip less).
    /// </returns>
    private async Task<(string? Key, bool? WasFree)> ChooseKeyAsync(IObjectStorage storage, CloudSendParameters parameters, long size, CancellationToken cancellationToken)
    {
        if (parameters.OnConflict == ConflictPolicy.Overwrite)
        {
            return size < options.Value.MultipartThreshold
                ? (parameters.Key, null)
                : (parameters.Key, await storage.HeadAsync(parameters.Bucket, parameters.Key, cancellationToken) is null);
        }
        if (await storage.HeadAsync(parameters.Bucket, parameters.Key, cancellationToken) is null)
        {
            return (parameters.Key, true);
        }
        if (parameters.OnConflict == ConflictPolicy.Skip)
        {
            return (null, null);
        }
        var stamp = clock.GetUtcNow().UtcDateTime;
        for (var attempt = 0; attempt < 10; attempt++)
        {
            var candidate = $"{parameters.Key}_{stamp.AddSeconds(attempt).ToString("yyMMdd_HHmmss", CultureInfo.InvariantCulture)}";
            if (await storage.HeadAsync(parameters.Bucket, candidate, cancellationToken) is null)
            {
                return (candidate, true);
            }
        }
        throw new JobFailedException($"Could not find a free key next to {parameters.Key}; every renamed key exists.");
    }

    /// <param name="Upload">The store's own resume point (upload id and parts, block list, session URI) once an upload started.</param>
    /// <param name="KeyWasFree">True when no object had the key before this send; null when unknown (not checked, or an older checkpoint).</param>
    /// <param name="Sha256">The content's SHA-256, which the store keeps as metadata: how an abort recognises this send's object.</param>
    internal sealed record SendCheckpoint(string FinalKey, string? Upload, bool? KeyWasFree = null, string? Sha256 = null);
}
