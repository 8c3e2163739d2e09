using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Query;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Datasets.Storage;
using Skyport.Server.Operations.Telemetry;

namespace Skyport.Server.Jobs;

/// <summary>
/// Runs one claimed job to its end: resolves the handler in the scope of the claim, renews the lease while it
/// works, and records the outcome on the job row (ok, retry later, error) and on its output dataset.
/// Every outcome update is conditional on this worker still holding the lease, so a job that was
/// cancelled or taken over meanwhile is never overwritten.
/// </summary>
internal sealed class JobRunner(
    IServiceScopeFactory scopes,
    RunningJobs running,
    IOptions<JobsOptions> options,
    TimeProvider clock,
    ILogger<JobRunner> logger,
    Operations.Metrics.SkyportMetrics metrics)
{
    /// <param name="services">The scope the job was claimed in: the handler runs in it, and an ok outcome is recorded through its context.</param>
    /// <param name="job">The row as the claim left it (running, held by <paramref name="workerId"/>).</param>
    /// <param name="outputUuid">The uuid of the job's output dataset, read with the claim.</param>
    /// <param name="batched">
    /// One of several jobs claimed together: its output was marked running with the batch's (<see cref="MarkOutputsRunningAsync"/>),
    /// and its ok line is at Debug, the batch having one (<see cref="JobWorkerPool"/>).
    /// </param>
    /// <returns>True when the handler finished its work (the job is ok, unless it was cancelled in the last moment).</returns>
    public async Task<bool> RunAsync(IServiceProvider services, Job job, Guid? outputUuid, string workerId, bool batched, CancellationToken stopping)
    {
        var jobId = job.Id;
        using var logScope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = jobId });
        using var span = SkyportTelemetry.StartJob(jobId);
        using var jobCancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var registration = running.Register(jobId, jobCancellation);
        // Stopped by disposing it, which ends the heartbeat's wait with "no more ticks" rather than with an exception.
        using var heartbeatTimer = new PeriodicTimer(HeartbeatPeriod, clock);

        var db = services.GetRequiredService<SkyportDbContext>();
        metrics.JobStarted(job.ToolId, clock.GetUtcNow().UtcDateTime - job.NotBefore);
        SkyportTelemetry.DescribeJob(span, job.ToolId, job.Attempts);
        var context = new JobContext(job, scopes, workerId, stopping) { OutputUuid = outputUuid };
        var heartbeat = HeartbeatAsync(context, workerId, jobCancellation, heartbeatTimer);
        // One line per job at Information, with its outcome (one per batch for batched jobs): the start is at Debug. Each
        // console line costs a wake-up of the logger's writer thread; for small transfers, two lines per job were ~13% of
        // the server's CPU and one line ~11%.
        logger.LogDebug("Job {JobId} ({ToolId}) started, attempt {Attempt}", jobId, job.ToolId, job.Attempts);
        var startedAt = clock.GetTimestamp();
        Exception? failure = null;
        try
        {
            if (!batched)
            {
                await MarkOutputRunningAsync(db, job, clock.GetUtcNow().UtcDateTime, jobCancellation.Token);
            }
            jobCancellation.Token.ThrowIfCancellationRequested();
            var handler = services.GetKeyedService<IJobHandler>(job.ToolId)
                ?? throw new JobFailedException($"No handler is registered for tool '{job.ToolId}'.");
            await handler.RunAsync(context, jobCancellation.Token);
        }
        catch (Exception e)
        {
            failure = e;
        }
        heartbeatTimer.Dispose();
        await heartbeat;
        var progress = FinalProgress.Of(context);

        if (failure is null)
        {
            failure = await CompleteAsync(services, db, job, workerId, progress, context, clock.GetElapsedTime(startedAt),
                batched ? LogLevel.Debug : LogLevel.Information);
            if (failure is null)
            {
                return true;
            }
        }
        // A failed handler may have left its context in any state: the outcome is recorded through a fresh one.
        await using var finish = scopes.CreateAsyncScope();
        var finishDb = finish.ServiceProvider.GetRequiredService<SkyportDbContext>();
        if (stopping.IsCancellationRequested)
        {
            await ReleaseAsync(finishDb, job, workerId, progress);
        }
        else if (jobCancellation.IsCancellationRequested)
        {
            logger.LogInformation("Job {JobId} stopped: cancelled or taken over", jobId);
            SkyportTelemetry.JobOutcome("cancelled");
            // A cancel can stop the handler before it reaches the work it cleans up after itself (or before it starts):
            // the work a previous attempt checkpointed would stay behind. Cleanups are idempotent.
            await finish.ServiceProvider.GetRequiredService<JobCancellation>().CleanUpIfCancelledAsync(jobId, CancellationToken.None);
        }
        else
        {
            await FailAsync(finishDb, job, workerId, failure, progress);
        }
        return false;
    }

    // The statements every job runs (marking its output running, completing it) go straight to the connection
    // (DbStatements): through EF Core each cost more in building the command than SQLite took to run it.
    private static async Task MarkOutputRunningAsync(SkyportDbContext db, Job job, DateTime now, CancellationToken cancellationToken)
    {
        if (job.OutputDatasetId is { } datasetId)
        {
            await db.ExecuteAsync(
                $"""UPDATE datasets SET "State" = '{nameof(DatasetState.Running)}', "UpdateTime" = @now WHERE "Id" = @id AND "State" = '{nameof(DatasetState.Queued)}'""",
                cancellationToken, ("now", now), ("id", datasetId));
        }
    }

    /// <summary>The outputs of a batch's jobs become running together as the batch starts (those given back are queued again: <see cref="JobClaims.ReleaseAsync"/>).</summary>
    public static async Task MarkOutputsRunningAsync(SkyportDbContext db, IEnumerable<Job> jobs, DateTime now)
    {
        var outputs = jobs.Select(j => j.OutputDatasetId).OfType<long>().ToList();
        if (outputs.Count > 0)
        {
            await db.Datasets.Where(d => outputs.Contains(d.Id) && d.State == DatasetState.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DatasetState.Running).SetProperty(d => d.UpdateTime, now), CancellationToken.None);
        }
    }

    /// <summary>
    /// Records the ok outcome: the job row, and with it (in one transaction) the output an import left ready
    /// (<see cref="JobContext.OutputImported"/>). An output discarded or purged meanwhile is not marked ok: its bytes are
    /// removed and the job ends as a cancelled import would (the returned exception goes the failure's way).
    /// </summary>
    /// <returns>Null when the job is recorded ok.</returns>
    private async Task<Exception?> CompleteAsync(IServiceProvider services, SkyportDbContext db, Job job, string workerId, FinalProgress progress,
        JobContext context, TimeSpan took, LogLevel level)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var imported = context.ImportedOutput;
        await using var transaction = imported is null ? null : await db.Database.BeginTransactionAsync(CancellationToken.None);
        if (imported is not null && !await imported.MarkOkAsync(db, now))
        {
            await transaction!.RollbackAsync(CancellationToken.None);
            await services.GetRequiredService<IDatasetStore>().DeleteQuietlyAsync(imported.Uuid, logger);
            return new OperationCanceledException(ImportedDataset.DiscardedMessage);
        }
        // What the job did not report stays as the claim found it: nothing else writes these fields while this worker holds the job.
        var (done, total) = progress.Reported ? (progress.Done, progress.Total) : (job.BytesDone, job.BytesTotal);
        var updated = await db.ExecuteAsync($"""
            UPDATE jobs SET "State" = '{nameof(JobState.Ok)}', "LeaseOwner" = NULL, "LeaseExpiresAt" = NULL, "UpdateTime" = @now,
                "BytesDone" = @done, "BytesTotal" = @total, "Info" = @info
            WHERE "Id" = @id AND "LeaseOwner" = @worker AND "State" = '{nameof(JobState.Running)}'
            """, CancellationToken.None, ("now", now), ("done", done), ("total", total), ("info", context.Info ?? job.Info), ("id", job.Id), ("worker", workerId));
        // A job taken over by another worker (its lease ran out) after its output was complete still leaves that output
        // ok; a user's cancel discards the output first, so it was not marked above.
        if (transaction is not null)
        {
            await transaction.CommitAsync(CancellationToken.None);
        }
        logger.Log(level, "Job {JobId} ({ToolId}) finished ok in {Milliseconds} ms, attempt {Attempt}{Note}",
            job.Id, job.ToolId, (long)took.TotalMilliseconds, job.Attempts, updated == 1 ? "" : " (row changed meanwhile)");
        SkyportTelemetry.JobOutcome("ok");
        return null;
    }

    /// <summary>Shutting down is not the job's fault: give it back without spending an attempt (its output is queued again too).</summary>
    private async Task ReleaseAsync(SkyportDbContext db, Job job, string workerId, FinalProgress progress)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var released = await HeldBy(db, job.Id, workerId).ExecuteUpdateAsync(s =>
        {
            s.SetProperty(j => j.State, JobState.Queued).SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null).SetProperty(j => j.NotBefore, now)
                .SetProperty(j => j.Attempts, j => j.Attempts - 1).SetProperty(j => j.UpdateTime, now);
            progress.Set(s);
        }, CancellationToken.None);
        if (released == 1 && job.OutputDatasetId is { } datasetId)
        {
            await db.Datasets.Where(d => d.Id == datasetId && d.State == DatasetState.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DatasetState.Queued).SetProperty(d => d.UpdateTime, now), CancellationToken.None);
        }
        logger.LogInformation("Job {JobId} released for a later start (shutting down)", job.Id);
        SkyportTelemetry.JobOutcome("released");
    }

    private async Task FailAsync(SkyportDbContext db, Job job, string workerId, Exception failure, FinalProgress progress)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var message = Truncate(failure.Message, 4000);
        if (JobFailure.IsTransient(failure) && job.Attempts < settings.MaxAttempts)
        {
            var delay = settings.RetryDelay(job.Attempts);
            logger.LogWarning(failure, "Job {JobId} attempt {Attempt} failed; retrying in {Delay}", job.Id, job.Attempts, delay);
            SkyportTelemetry.JobOutcome("retry", failure);
            var retrying = await HeldBy(db, job.Id, workerId).ExecuteUpdateAsync(s =>
            {
                s.SetProperty(j => j.State, JobState.Queued).SetProperty(j => j.LeaseOwner, (string?)null)
                    .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null).SetProperty(j => j.NotBefore, now + delay)
                    .SetProperty(j => j.Stderr, $"Attempt {job.Attempts} failed: {message}").SetProperty(j => j.UpdateTime, now);
                progress.Set(s);
            }, CancellationToken.None);
            if (retrying == 1)
            {
                await UpdateOutputAsync(db, job, DatasetState.Queued,
                    $"Attempt {job.Attempts} of {settings.MaxAttempts} failed ({message}); retrying in {delay.TotalSeconds:0} s.", now);
            }
            else
            {
                // Cancelled after the handler had decided to keep its work for the retry: nobody else will undo it.
                await using var scope = scopes.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<JobCancellation>().CleanUpIfCancelledAsync(job.Id, CancellationToken.None);
            }
            return;
        }
        if (JobFailure.IsTransient(failure))
        {
            // The retry budget is spent: say so, or the last hiccup reads like the whole story.
            message = Truncate($"Giving up after {job.Attempts} attempts; the last failed: {failure.Message}", 4000);
        }
        if (failure is JobFailedException)
        {
            logger.LogWarning("Job {JobId} failed: {Message}", job.Id, message);
        }
        else
        {
            logger.LogError(failure, "Job {JobId} failed", job.Id);
        }
        SkyportTelemetry.JobOutcome("error", failure);
        var failed = await HeldBy(db, job.Id, workerId).ExecuteUpdateAsync(s =>
        {
            s.SetProperty(j => j.State, JobState.Error).SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null).SetProperty(j => j.Stderr, message)
                .SetProperty(j => j.UpdateTime, now);
            progress.Set(s);
        }, CancellationToken.None);
        if (failed == 1)
        {
            await UpdateOutputAsync(db, job, DatasetState.Error, message, now);
        }
    }

    private static Task UpdateOutputAsync(SkyportDbContext db, Job job, DatasetState state, string info, DateTime now) =>
        job.OutputDatasetId is { } datasetId
            ? db.Datasets.Where(d => d.Id == datasetId && d.State != DatasetState.Ok && d.State != DatasetState.Discarded)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, state).SetProperty(d => d.MiscInfo, info)
                    .SetProperty(d => d.UpdateTime, now), CancellationToken.None)
            : Task.CompletedTask;

    /// <summary>
    /// Every second: writes new progress to the row, and renews the lease every third of its length.
    /// If the row is no longer ours (cancelled, or taken over after a stall) the job is stopped.
    /// The final progress is not written here: it goes with the outcome, in the same statement (see <see cref="FinalProgress"/>).
    /// </summary>
    private async Task HeartbeatAsync(JobContext context, string workerId, CancellationTokenSource job, PeriodicTimer timer)
    {
        var jobId = context.Job.Id;
        var lease = options.Value.Lease;
        var renewEvery = lease / 3;
        var lastRenewal = clock.GetUtcNow();
        long writtenVersion = 0;
        while (await timer.WaitForNextTickAsync())
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
                var now = clock.GetUtcNow();
                var (version, done, total) = context.Progress;
                if (version != writtenVersion)
                {
                    await HeldBy(db, jobId, workerId).ExecuteUpdateAsync(s => s.SetProperty(j => j.BytesDone, done)
                        .SetProperty(j => j.BytesTotal, total).SetProperty(j => j.UpdateTime, now.UtcDateTime), CancellationToken.None);
                    writtenVersion = version;
                }
                if (now - lastRenewal >= renewEvery)
                {
                    var expires = now.UtcDateTime + lease;
                    var held = await HeldBy(db, jobId, workerId).Where(j => !j.CancelRequested)
                        .ExecuteUpdateAsync(s => s.SetProperty(j => j.LeaseExpiresAt, expires), CancellationToken.None);
                    lastRenewal = now;
                    if (held == 0)
                    {
                        await job.CancelAsync();
                        return;
                    }
                }
            }
            catch (Exception e)
            {
                // A missed heartbeat is survivable (the lease has slack); the next tick tries again.
                logger.LogWarning(e, "Heartbeat for job {JobId} failed", jobId);
            }
        }
    }

    private TimeSpan HeartbeatPeriod => TimeSpan.FromSeconds(Math.Min(1, (options.Value.Lease / 3).TotalSeconds));

    /// <summary>The progress a job last reported, written with its outcome; nothing when it reported none.</summary>
    private readonly record struct FinalProgress(bool Reported, long Done, long? Total)
    {
        public static FinalProgress Of(JobContext context)
        {
            var (version, done, total) = context.Progress;
            return new FinalProgress(version > 0, done, total);
        }

        public void Set(UpdateSettersBuilder<Job> setters)
        {
            if (Reported)
            {
                setters.SetProperty(j => j.BytesDone, Done).SetProperty(j => j.BytesTotal, Total);
            }
        }
    }

    private static IQueryable<Job> HeldBy(SkyportDbContext db, long jobId, string workerId) =>
        db.Jobs.Where(j => j.Id == jobId && j.LeaseOwner == workerId && j.State == JobState.Running);

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max] + "...";
}
