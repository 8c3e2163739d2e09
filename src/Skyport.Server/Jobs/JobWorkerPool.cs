using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Hosting;

namespace Skyport.Server.Jobs;

/// <summary>
/// This process's job workers plus the lease reaper. Workers claim queued jobs atomically (PostgreSQL:
/// <c>FOR UPDATE SKIP LOCKED</c>; SQLite: its single writer), so each job runs once however
/// many workers and processes share the database. The reaper returns jobs whose worker stopped renewing its lease to the queue,
/// or fails them once they have used up their attempts, so no job stays running forever.
/// </summary>
internal sealed class JobWorkerPool(
    IServiceScopeFactory scopes,
    JobRunner runner,
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
                // One scope from a job's claim to its outcome: on SQLite all of the job's own statements share one open
                // connection (see HeldConnection), instead of opening it again for the run and for the outcome.
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
                await using var connection = await db.HoldConnectionAsync(stopping);
                if (await TryClaimAsync(db, workerId, stopping) is { } claimed)
                {
                    await runner.RunAsync(scope.ServiceProvider, claimed.Job, claimed.OutputUuid, workerId, stopping);
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
    /// Takes the oldest ready job in one statement, then reads the row it claimed. PostgreSQL: the pick skips rows other
    /// transactions hold (<c>FOR UPDATE SKIP LOCKED</c>), so concurrent workers never wait on each other or collide on
    /// the same row. SQLite: a write statement holds the database's one write lock from its start, so the pick and the
    /// update are atomic and no two workers get the same job.
    /// The pick is in the order of the (State, NotBefore) index, the job ready longest first and then the oldest: the
    /// index yields its first row directly (2-3 µs in SQLite), where ordering by id alone sorted every ready job on every
    /// claim, inside the write lock: 74 µs with 1,000 queued jobs, 0.7 ms with 10,000 and 7 ms with 100,000.
    /// Every job runs the claim, so it is a plain command on the context's connection followed by a compiled read by key:
    /// through EF Core's raw-SQL query (which cannot be compiled) building the query cost more than running it. Should the
    /// read fail after the claim, the job is not lost: the reaper queues it again when its lease runs out.
    /// </summary>
    private async Task<ClaimedRow?> TryClaimAsync(SkyportDbContext db, string workerId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var expires = now + options.Value.Lease;
        var claimed = await db.ScalarAsync(db.Database.IsNpgsql() ? PostgresClaim : SqliteClaim, cancellationToken,
            ("worker", workerId), ("expires", expires), ("now", now));
        // The row can only be gone if its user was deleted meanwhile (jobs go with their user): nothing left to run.
        return claimed is long jobId ? await ReadClaimed.For(db)(db, jobId, CancellationToken.None) : null;
    }

    private const string Queued = nameof(JobState.Queued), Running = nameof(JobState.Running);

    // The same pick on both providers; PostgreSQL also skips rows other transactions hold.
    private const string ClaimOldestReady = $"""
        UPDATE jobs SET "State" = '{Running}', "LeaseOwner" = @worker, "LeaseExpiresAt" = @expires, "Attempts" = "Attempts" + 1, "UpdateTime" = @now
        WHERE "Id" = (SELECT "Id" FROM jobs WHERE "State" = '{Queued}' AND "NotBefore" <= @now ORDER BY "NotBefore", "Id" LIMIT 1
        """;
    private const string SqliteClaim = ClaimOldestReady + """) RETURNING "Id" """;
    private const string PostgresClaim = ClaimOldestReady + """ FOR UPDATE SKIP LOCKED) RETURNING "Id" """;

    /// <summary>The claimed row, with its output dataset's uuid (where an import stores the bytes) read in the same query.</summary>
    private static readonly CompiledQuery<Func<SkyportDbContext, long, CancellationToken, Task<ClaimedRow?>>> ReadClaimed = new(() =>
        EF.CompileAsyncQuery((SkyportDbContext db, long id, CancellationToken _) => db.Jobs.AsNoTracking().Where(j => j.Id == id)
            .Select(j => new ClaimedRow(j, db.Datasets.Where(d => d.Id == j.OutputDatasetId).Select(d => (Guid?)d.Uuid).FirstOrDefault()))
            .SingleOrDefault()));

    private sealed record ClaimedRow(Job Job, Guid? OutputUuid);

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
