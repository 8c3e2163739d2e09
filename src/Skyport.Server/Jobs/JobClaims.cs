using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Datasets;

namespace Skyport.Server.Jobs;

/// <summary>A tool whose small jobs may be claimed and run together (<see cref="JobsExtensions.AddJobHandler{THandler}"/>).</summary>
internal sealed record BatchableTool(string ToolId);

/// <summary>A claimed job, with its output dataset's uuid (where an import stores the bytes) read in the same query.</summary>
internal sealed record ClaimedJob(Job Job, Guid? OutputUuid);

/// <summary>
/// How a worker takes work: the job ready longest, and with it, when that job is small and its tool allows it, more small
/// ready jobs of the same user and tool (a batch, run one after another by the worker: <see cref="JobWorkerPool"/>).
/// Every claimed job is an ordinary running job with its own lease, attempt and outcome; what a batch shares is the claim,
/// the read of the rows, and the worker's database connection. A worker gives back the part of a batch it will not run
/// (<see cref="ReleaseAsync"/>) without spending its attempts.
/// </summary>
internal sealed class JobClaims(
    IOptions<JobsOptions> options,
    IEnumerable<BatchableTool> batchable,
    JobSignal signal,
    TimeProvider clock,
    ILogger<JobClaims> logger)
{
    private readonly HashSet<string> _batchable = batchable.Select(t => t.ToolId).ToHashSet(StringComparer.Ordinal);

    /// <summary>
    /// How long after its claim a batch's next job may still start. Until then its lease (set by the claim) has two thirds of
    /// its length left, and the job's own heartbeat renews it before it runs out; and a cancel that came meanwhile is still
    /// remembered by <see cref="RunningJobs"/>, which stops the job as it registers.
    /// </summary>
    public TimeSpan BatchWindow => TimeSpan.FromTicks(Math.Min(options.Value.Lease.Ticks / 3, TimeSpan.FromSeconds(30).Ticks));

    /// <returns>The claimed jobs in the order they became ready (empty when none is ready).</returns>
    public async Task<IReadOnlyList<ClaimedJob>> ClaimAsync(SkyportDbContext db, string workerId, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = clock.GetUtcNow().UtcDateTime;
        var expires = now + settings.Lease;
        var postgres = db.Database.IsNpgsql();
        var claimed = await db.ScalarAsync(postgres ? PostgresClaim : SqliteClaim, cancellationToken,
            ("worker", workerId), ("expires", expires), ("now", now));
        // The row can only be gone if its user was deleted meanwhile (jobs go with their user): nothing left to run.
        if (claimed is not long jobId || await ReadClaimed.For(db)(db, jobId, CancellationToken.None) is not { } first)
        {
            return [];
        }
        if (settings.BatchSize == 1 || !_batchable.Contains(first.Job.ToolId) || first.Job.BytesTotal is not { } bytes || bytes > settings.BatchJobMaxBytes)
        {
            return [first];
        }
        // The first job is claimed: a failure to claim or read the rest of the batch only makes it a batch of one.
        List<long> mates = [];
        try
        {
            mates = await db.IdsAsync(postgres ? PostgresBatch : SqliteBatch, CancellationToken.None,
                ("worker", workerId), ("expires", expires), ("now", now), ("tool", first.Job.ToolId), ("user", first.Job.UserId),
                ("small", settings.BatchJobMaxBytes), ("most", settings.BatchSize - 1), ("workers", Math.Max(settings.Workers, 1)),
                ("window", settings.BatchSize * Math.Max(settings.Workers, 1)));
            if (mates.Count == 0)
            {
                return [first];
            }
            var rows = new List<ClaimedJob>(mates.Count + 1) { first };
            await foreach (var row in ReadClaimedMany.For(db)(db, [.. mates]))
            {
                rows.Add(row);
            }
            return rows;
        }
        catch (DbException e)
        {
            logger.LogWarning(e, "Claiming more jobs to run with job {JobId} failed; it runs alone", first.Job.Id);
            if (mates.Count > 0)
            {
                await ReleaseAsync(db, mates, workerId);
            }
            return [first];
        }
    }

    /// <summary>
    /// Gives claimed jobs that did not start back to the queue, in their place, with their attempt undone; their outputs,
    /// marked running with the batch, are queued again.
    /// </summary>
    public async Task ReleaseAsync(SkyportDbContext db, IReadOnlyCollection<long> jobIds, string workerId)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var released = await db.Jobs.Where(j => jobIds.Contains(j.Id) && j.LeaseOwner == workerId && j.State == JobState.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Queued).SetProperty(j => j.LeaseOwner, (string?)null)
                .SetProperty(j => j.LeaseExpiresAt, (DateTime?)null).SetProperty(j => j.Attempts, j => j.Attempts - 1)
                .SetProperty(j => j.UpdateTime, now), CancellationToken.None);
        if (released > 0)
        {
            await db.Datasets
                .Where(d => d.State == DatasetState.Running
                            && db.Jobs.Any(j => jobIds.Contains(j.Id) && j.State == JobState.Queued && j.OutputDatasetId == d.Id))
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DatasetState.Queued).SetProperty(d => d.UpdateTime, now), CancellationToken.None);
            signal.Notify(released);
        }
    }

    private const string Queued = nameof(JobState.Queued), Running = nameof(JobState.Running);

    /// <summary>
    /// Takes the oldest ready job in one statement. PostgreSQL: the pick skips rows other transactions hold
    /// (<c>FOR UPDATE SKIP LOCKED</c>), so concurrent workers never wait on each other or collide on the same row. SQLite: a
    /// write statement holds the database's one write lock from its start, so the pick and the update are atomic and no two
    /// workers get the same job.
    /// The pick is in the order of the (State, NotBefore) index, the job ready longest first and then the oldest: the
    /// index yields its first row directly (2-3 µs in SQLite), where ordering by id alone sorted every ready job on every
    /// claim, inside the write lock: 74 µs with 1,000 queued jobs, 0.7 ms with 10,000 and 7 ms with 100,000.
    /// It is a plain command on the context's connection followed by a compiled read by key: through EF Core's raw-SQL query
    /// (which cannot be compiled) building the query cost more than running it. Should the read fail after the claim, the
    /// job is not lost: the reaper queues it again when its lease runs out.
    /// </summary>
    private const string ClaimOldestReady = $"""
        UPDATE jobs SET "State" = '{Running}', "LeaseOwner" = @worker, "LeaseExpiresAt" = @expires, "Attempts" = "Attempts" + 1, "UpdateTime" = @now
        WHERE "Id" = (SELECT "Id" FROM jobs WHERE "State" = '{Queued}' AND "NotBefore" <= @now ORDER BY "NotBefore", "Id" LIMIT 1
        """;
    private const string SqliteClaim = ClaimOldestReady + """) RETURNING "Id" """;
    private const string PostgresClaim = ClaimOldestReady + """ FOR UPDATE SKIP LOCKED) RETURNING "Id" """;

    /// <summary>
    /// The rest of a batch: the small ready jobs of the same user and tool among the next ready ones in queue order (a window
    /// of <c>BatchSize × Workers</c> rows, so the pick reads a bounded stretch of the index however long the queue), at most
    /// <c>BatchSize - 1</c> and at most the worker's share of them (their number over the workers), oldest first.
    /// </summary>
    private const string BatchMates = $"""
        WITH ready AS (
            SELECT "Id", "NotBefore", "ToolId", "UserId", "BytesTotal" FROM jobs
            WHERE "State" = '{Queued}' AND "NotBefore" <= @now ORDER BY "NotBefore", "Id" LIMIT @window),
        mates AS (SELECT "Id", "NotBefore" FROM ready WHERE "ToolId" = @tool AND "UserId" = @user AND "BytesTotal" <= @small)
        UPDATE jobs SET "State" = '{Running}', "LeaseOwner" = @worker, "LeaseExpiresAt" = @expires, "Attempts" = "Attempts" + 1, "UpdateTime" = @now
        """;
    private const string SqliteBatch = BatchMates + "\n" + """
        WHERE "Id" IN (SELECT "Id" FROM mates ORDER BY "NotBefore", "Id" LIMIT (SELECT min(@most, count(*) / @workers) FROM mates))
        RETURNING "Id"
        """;
    // The window is read without locks; the pick locks what it takes, and a row another worker claimed meanwhile no longer
    // matches "Queued" when it is locked (PostgreSQL re-checks a locked row's condition on its newest version).
    private const string PostgresBatch = BatchMates + "\n" + $"""
        WHERE "Id" IN (SELECT "Id" FROM jobs WHERE "Id" IN (SELECT "Id" FROM mates) AND "State" = '{Queued}'
            ORDER BY "NotBefore", "Id" LIMIT (SELECT LEAST(@most, count(*) / @workers) FROM mates) FOR UPDATE SKIP LOCKED)
        RETURNING "Id"
        """;

    private static readonly CompiledQuery<Func<SkyportDbContext, long, CancellationToken, Task<ClaimedJob?>>> ReadClaimed = new(() =>
        EF.CompileAsyncQuery((SkyportDbContext db, long id, CancellationToken _) => db.Jobs.AsNoTracking().Where(j => j.Id == id)
            .Select(j => new ClaimedJob(j, db.Datasets.Where(d => d.Id == j.OutputDatasetId).Select(d => (Guid?)d.Uuid).FirstOrDefault()))
            .SingleOrDefault()));

    /// <summary>The rest of a batch, in queue order, read in one query (compiled too: building it cost more than running it).</summary>
    private static readonly CompiledQuery<Func<SkyportDbContext, long[], IAsyncEnumerable<ClaimedJob>>> ReadClaimedMany = new(() =>
        EF.CompileAsyncQuery((SkyportDbContext db, long[] ids) => db.Jobs.AsNoTracking().Where(j => ids.Contains(j.Id))
            .OrderBy(j => j.NotBefore).ThenBy(j => j.Id)
            .Select(j => new ClaimedJob(j, db.Datasets.Where(d => d.Id == j.OutputDatasetId).Select(d => (Guid?)d.Uuid).FirstOrDefault()))));
}
