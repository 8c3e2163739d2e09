using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Datasets;

namespace Skyport.Server.Jobs;

/// <summary>
/// Cancels jobs: the row moves to <c>deleted</c> (which any worker holding it notices at its next
/// heartbeat), the output dataset is discarded, and a worker in this process is stopped at once.
/// A job that no worker holds (queued for a retry, or its worker's lease ran out) and that saved a
/// checkpoint has its tool's <see cref="IJobCleanup"/> run here, since no handler will.
/// </summary>
public sealed class JobCancellation(SkyportDbContext db, RunningJobs running, TimeProvider clock, IServiceProvider services, ILogger<JobCancellation> logger)
{
    private static readonly TimeSpan CleanupTimeout = TimeSpan.FromSeconds(30);

    public const string CancelledMessage = "The job was cancelled by the user.";

    /// <returns>True when the job was still unfinished and is now cancelled.</returns>
    public async Task<bool> CancelAsync(long jobId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // Whether a worker holds the job is decided by the update that cancels it, not by a read before it: a worker
        // claiming the job between such a read and the update would run it (and abort its upload) alongside this cleanup.
        // Once the row is deleted no worker can claim it, so a job cancelled while unheld has this cancel as its only undoer.
        var unheld = await db.Jobs
            .Where(j => j.Id == jobId && (j.State == JobState.New || j.State == JobState.Queued || (j.State == JobState.Running && j.LeaseExpiresAt < now)))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Deleted).SetProperty(j => j.CancelRequested, true)
                .SetProperty(j => j.Info, CancelledMessage).SetProperty(j => j.UpdateTime, now), cancellationToken) == 1;
        var cancelled = unheld || await db.Jobs
            .Where(j => j.Id == jobId && (j.State == JobState.New || j.State == JobState.Queued || j.State == JobState.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Deleted).SetProperty(j => j.CancelRequested, true)
                .SetProperty(j => j.Info, CancelledMessage).SetProperty(j => j.UpdateTime, now), cancellationToken) == 1;
        if (cancelled)
        {
            var outputId = await db.Jobs.Where(j => j.Id == jobId).Select(j => j.OutputDatasetId).SingleAsync(cancellationToken);
            if (outputId is { } datasetId)
            {
                await db.Datasets.Where(d => d.Id == datasetId && d.State != DatasetState.Ok)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DatasetState.Discarded)
                        .SetProperty(d => d.MiscInfo, CancelledMessage).SetProperty(d => d.UpdateTime, now), cancellationToken);
            }
            running.Cancel(jobId);
            if (unheld && await db.Jobs.AsNoTracking().SingleOrDefaultAsync(j => j.Id == jobId && j.Checkpoint != null, cancellationToken) is { } job)
            {
                await CleanUpAsync(job, cancellationToken);
            }
        }
        return cancelled;
    }

    /// <summary>
    /// For a worker whose job was cancelled: its handler may have kept the unfinished work (for a retry that will not
    /// come) or been stopped before it reached that work, so it is undone here.
    /// </summary>
    public async Task CleanUpIfCancelledAsync(long jobId, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.AsNoTracking()
            .SingleOrDefaultAsync(j => j.Id == jobId && j.State == JobState.Deleted && j.CancelRequested && j.Checkpoint != null, cancellationToken);
        if (job is not null)
        {
            await CleanUpAsync(job, cancellationToken);
        }
    }

    /// <summary>Cleanups are idempotent and safe to race: a worker whose lease ran out may still be undoing the same work.</summary>
    private async Task CleanUpAsync(Job job, CancellationToken cancellationToken)
    {
        if (services.GetKeyedService<IJobCleanup>(job.ToolId) is not { } cleanup)
        {
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(CleanupTimeout);
        try
        {
            await cleanup.CleanUpAsync(job, timeout.Token);
            logger.LogInformation("Job {JobId} cancelled while no worker ran it; its unfinished work was cleaned up", job.Id);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Only the message: exception details of cloud clients can carry request URLs.
            logger.LogWarning("Job {JobId} was cancelled but cleaning up its unfinished work failed: {Reason}", job.Id, e.Message);
        }
    }

    public async Task CancelJobsProducingAsync(long datasetId, CancellationToken cancellationToken)
    {
        var jobIds = await db.Jobs
            .Where(j => j.OutputDatasetId == datasetId && (j.State == JobState.New || j.State == JobState.Queued || j.State == JobState.Running))
            .Select(j => j.Id).ToListAsync(cancellationToken);
        foreach (var jobId in jobIds)
        {
            await CancelAsync(jobId, cancellationToken);
        }
    }
}
