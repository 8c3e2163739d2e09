using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Hosting;

namespace Skyport.Server.Jobs;

/// <summary>
/// This process's job workers plus the lease reaper. Workers claim queued jobs atomically (PostgreSQL:
/// <c>FOR UPDATE SKIP LOCKED</c>; SQLite: its single writer), so each job runs once however
/// many workers and processes share the database; small jobs of one user and tool are claimed and run in batches (<see cref="JobClaims"/>). The reaper returns jobs whose worker stopped renewing its lease to the queue,
/// or fails them once they have used up their attempts, so no job stays running forever.
/// </summary>
internal sealed class JobWorkerPool(
    IServiceScopeFactory scopes,
    JobRunner runner,
    JobClaims claims,
    JobSignal signal,
    IOptions<JobsOptions> options,
    TimeProvider clock,
    ILogger<JobWorkerPool> logger) : BackgroundService
{
    private readonly string _processId = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}"[..^24];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.Workers == 0)
        {
            return;
        }
        var loops = Enumerable.Range(1, settings.Workers).Select(n => WorkAsync($"{_processId}/w{n}", stoppingToken)).ToList();
        loops.Add(ReapAsync(stoppingToken));
        await Task.WhenAll(loops);
    }

    private async Task WorkAsync(string workerId, CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                // One scope from a claim to the last outcome: on SQLite all of the jobs' own statements share one open
                // connection (see HeldConnection), instead of opening it again for each job, its run and its outcome.
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
                await using var connection = await db.HoldConnectionAsync(stopping);
                var claimed = await claims.ClaimAsync(db, workerId, stopping);
                if (claimed.Count > 0)
                {
                    await RunAsync(scope.ServiceProvider, db, claimed, workerId, stopping);
                    continue;
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Worker {WorkerId} failed to claim or run a job", workerId);
            }
            await signal.WaitAsync(options.Value.Poll, stopping);
        }
    }

    /// <summary>
    /// Runs claimed jobs one after another. The rest of a batch is given back to the queue when the process stops, when a
    /// job did not end ok (its handler may have left the shared scope in any state, and the rest likely meets the same
    /// trouble: each then fails or succeeds on its own), or when the batch's window has passed (<see cref="JobClaims.BatchWindow"/>).
    /// </summary>
    private async Task RunAsync(IServiceProvider services, SkyportDbContext db, IReadOnlyList<ClaimedJob> claimed, string workerId, CancellationToken stopping)
    {
        var claimedAt = clock.GetTimestamp();
        var started = 0;
        var succeeded = 0;
        var batched = claimed.Count > 1;
        try
        {
            if (batched)
            {
                await JobRunner.MarkOutputsRunningAsync(db, claimed.Select(c => c.Job), clock.GetUtcNow().UtcDateTime);
            }
            var ok = true;
            foreach (var (job, outputUuid) in claimed)
            {
                if (started > 0)
                {
                    if (!ok || stopping.IsCancellationRequested || clock.GetElapsedTime(claimedAt) >= claims.BatchWindow)
                    {
                        return;
                    }
                    db.ChangeTracker.Clear();
                }
                started++;
                ok = await runner.RunAsync(services, job, outputUuid, workerId, batched, stopping);
                succeeded += ok ? 1 : 0;
            }
        }
        finally
        {
            // Also when recording an outcome failed: the job that was running is then left to its lease.
            if (started < claimed.Count)
            {
                await claims.ReleaseAsync(db, claimed.Skip(started).Select(c => c.Job.Id).ToList(), workerId);
            }
            if (batched)
            {
                // The batch's line at Information: its jobs' ok lines are at Debug, their failures each have their own.
                logger.LogInformation("Batch of {Count} {ToolId} jobs ran in {Milliseconds} ms: {Ok} ok, {GivenBack} given back; jobs {JobIds}",
                    claimed.Count, claimed[0].Job.ToolId, (long)clock.GetElapsedTime(claimedAt).TotalMilliseconds, succeeded,
                    claimed.Count - started, string.Join(",", claimed.Select(c => c.Job.Id)));
            }
        }
    }

    private Task ReapAsync(CancellationToken stopping) =>
        PeriodicLoop.RunAsync(options.Value.Lease / 2, clock, logger, "Reaping expired job leases", ReapExpiredLeasesAsync, stopping);

    internal async Task ReapExpiredLeasesAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;
        var maxAttempts = options.Value.MaxAttempts;
        var expired = await db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Running && j.LeaseExpiresAt < now)
            .Select(j => new { j.Id, j.Attempts, j.OutputDatasetId, j.LeaseExpiresAt })
            .ToListAsync(cancellationToken);
        foreach (var job in expired)
        {
            var stillExpired = db.Jobs.Where(j => j.Id == job.Id && j.State == JobState.Running && j.LeaseExpiresAt == job.LeaseExpiresAt);
            if (job.Attempts < maxAttempts)
            {
                var requeued = await stillExpired.ExecuteUpdateAsync(s => s
                    .SetProperty(j => j.State, JobState.Queued).SetProperty(j => j.LeaseOwner, (string?)null)
                    .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null).SetProperty(j => j.NotBefore, now)
                    .SetProperty(j => j.UpdateTime, now), cancellationToken);
                if (requeued == 1)
                {
                    logger.LogWarning("Job {JobId} lost its worker (lease expired); queued again", job.Id);
                    signal.Notify();
                }
                continue;
            }
            var message = $"The job's worker stopped responding {job.Attempts} times; giving up.";
            var failed = await stillExpired.ExecuteUpdateAsync(s => s
                .SetProperty(j => j.State, JobState.Error).SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null).SetProperty(j => j.Stderr, message)
                .SetProperty(j => j.UpdateTime, now), cancellationToken);
            if (failed == 1 && job.OutputDatasetId is { } datasetId)
            {
                await db.Datasets.Where(d => d.Id == datasetId && d.State != DatasetState.Ok)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DatasetState.Error).SetProperty(d => d.MiscInfo, message)
                        .SetProperty(d => d.UpdateTime, now), cancellationToken);
            }
        }
    }
}
