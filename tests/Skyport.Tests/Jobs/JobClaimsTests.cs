using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Skyport.Server.Data;
using Skyport.Server.Jobs;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Jobs;

/// <summary>
/// How workers take jobs, on both providers: the job ready longest, and with it, when it is small and its tool allows it,
/// the worker's share of the small ready jobs of the same user and tool; a batch's unstarted jobs go back to the queue
/// without spending an attempt. The server runs no workers of its own; the claims are made here, on its database.
/// </summary>
public sealed class JobClaimsTests
{
    private const string Batched = "cloud_get", Alone = "upload1";
    private const long Small = 10, Big = 2 << 20;

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Claim_TakesTheOldestReadyJob_AndItsShareOfSmallReadyJobsOfTheSameUserAndTool(DatabaseProvider database)
    {
        await using var queue = await QueueAsync(database);
        var (a, b) = (queue.UserA, queue.UserB);
        var ids = await queue.AddAsync(
            (a, Batched, Small, 0),    // 0: the oldest
            (b, Batched, Small, 0),    // 1: another user's
            (a, Batched, Big, 0),      // 2: too big to batch
            (a, Batched, null, 0),     // 3: size unknown
            (a, Alone, Small, 0),      // 4: a tool that is not batched
            (a, Batched, Small, 0),    // 5..10: batchable with the first
            (a, Batched, Small, 0),
            (a, Batched, Small, 0),
            (a, Batched, Small, 0),
            (a, Batched, Small, 0),
            (a, Batched, Small, 0),
            (a, Batched, Small, 3600)); // 11: not ready for an hour
        var claims = queue.Claims(workers: 2, batchSize: 4);

        // The window is the next 2 x 4 ready jobs (1..8), of which 5..8 match: the worker's share is 4 / 2.
        Assert.Equal([ids[0], ids[5], ids[6]], await queue.ClaimAsync(claims, "w1"));
        Assert.Equal([ids[1]], await queue.ClaimAsync(claims, "w2"));
        Assert.Equal([ids[2]], await queue.ClaimAsync(claims, "w2"));
        Assert.Equal([ids[3]], await queue.ClaimAsync(claims, "w2"));
        Assert.Equal([ids[4]], await queue.ClaimAsync(claims, "w2"));
        // 7 is the oldest now; of the 8..10 behind it, its share is 3 / 2.
        Assert.Equal([ids[7], ids[8]], await queue.ClaimAsync(claims, "w2"));
        Assert.Equal([ids[9]], await queue.ClaimAsync(claims, "w1"));
        Assert.Equal([ids[10]], await queue.ClaimAsync(claims, "w1"));
        Assert.Empty(await queue.ClaimAsync(claims, "w1"));

        var rows = await queue.RowsAsync();
        Assert.All(ids[..11], id => Assert.Equal((JobState.Running, 1), (rows[id].State, rows[id].Attempts)));
        Assert.Equal(["w1", "w1", "w1"], new[] { ids[0], ids[5], ids[6] }.Select(id => rows[id].LeaseOwner));
        Assert.Equal((JobState.Queued, 0, (string?)null), (rows[ids[11]].State, rows[ids[11]].Attempts, rows[ids[11]].LeaseOwner));
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Claim_WithBatchSizeOne_TakesEveryJobAlone(DatabaseProvider database)
    {
        await using var queue = await QueueAsync(database);
        var ids = await queue.AddSmallAsync(4);
        var claims = queue.Claims(workers: 1, batchSize: 1);

        foreach (var id in ids)
        {
            Assert.Equal([id], await queue.ClaimAsync(claims, "w1"));
        }
    }

    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task Release_GivesUnstartedJobsBackInTheirPlace_WithoutSpendingAnAttempt_OnlyForTheWorkerHoldingThem(DatabaseProvider database)
    {
        await using var queue = await QueueAsync(database);
        var ids = await queue.AddSmallAsync(5);
        var claims = queue.Claims(workers: 1, batchSize: 5);
        Assert.Equal(ids, await queue.ClaimAsync(claims, "w1"));

        await queue.ReleaseAsync(claims, [ids[2], ids[3], ids[4]], "w2");
        Assert.All((await queue.RowsAsync()).Values, row => Assert.Equal(("w1", 1), (row.LeaseOwner, row.Attempts)));

        await queue.ReleaseAsync(claims, [ids[2], ids[3], ids[4]], "w1");
        var rows = await queue.RowsAsync();
        Assert.All(ids[..2], id => Assert.Equal((JobState.Running, "w1", 1), (rows[id].State, rows[id].LeaseOwner, rows[id].Attempts)));
        Assert.All(ids[2..], id => Assert.Equal((JobState.Queued, (string?)null, (DateTime?)null, 0),
            (rows[id].State, rows[id].LeaseOwner, rows[id].LeaseExpiresAt, rows[id].Attempts)));
        // Still first in line.
        Assert.Equal([ids[2], ids[3], ids[4]], await queue.ClaimAsync(claims, "w2"));
    }

    private static async Task<TestQueue> QueueAsync(DatabaseProvider database)
    {
        var server = await SkyportServer.StartAsync(new Dictionary<string, string?> { ["Skyport:Jobs:Workers"] = "0" }, database: database);
        (await server.NewUserAsync("a@example.org")).Dispose();
        (await server.NewUserAsync("b@example.org")).Dispose();
        var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
        var users = await db.Users.AsNoTracking().Where(u => u.Email == "a@example.org" || u.Email == "b@example.org")
            .OrderBy(u => u.Email).Select(u => u.Id).ToListAsync();
        return new TestQueue(server, scope, db, users[0], users[1]);
    }

    private sealed record TestQueue(SkyportServer Server, AsyncServiceScope Scope, SkyportDbContext Db, long UserA, long UserB) : IAsyncDisposable
    {
        /// <summary>Queued jobs that became ready one second apart, in the order given (an hour ago), unless delayed.</summary>
        public async Task<long[]> AddAsync(params (long User, string Tool, long? Bytes, int DelaySeconds)[] jobs)
        {
            var start = DateTime.UtcNow.AddHours(-1);
            var rows = jobs.Select((j, i) => new Job
            {
                UserId = j.User,
                ToolId = j.Tool,
                State = JobState.Queued,
                Parameters = "{}",
                BytesTotal = j.Bytes,
                NotBefore = j.DelaySeconds > 0 ? DateTime.UtcNow.AddSeconds(j.DelaySeconds) : start.AddSeconds(i),
                CreateTime = start,
                UpdateTime = start,
            }).ToList();
            Db.Jobs.AddRange(rows);
            await Db.SaveChangesAsync();
            Db.ChangeTracker.Clear();
            return rows.Select(r => r.Id).ToArray();
        }

        /// <summary>Small batchable jobs of the first user, ready one second apart.</summary>
        public Task<long[]> AddSmallAsync(int count) => AddAsync(Enumerable.Repeat((UserA, Batched, (long?)Small, 0), count).ToArray());

        public JobClaims Claims(int workers, int batchSize) => new(
            Options.Create(new JobsOptions { Workers = workers, BatchSize = batchSize, BatchJobMaxBytes = 1 << 20 }),
            [new BatchableTool(Batched)], Server.Services.GetRequiredService<JobSignal>(), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLogger<JobClaims>.Instance);

        public async Task<long[]> ClaimAsync(JobClaims claims, string worker) =>
            (await claims.ClaimAsync(Db, worker, CancellationToken.None)).Select(c => c.Job.Id).ToArray();

        public Task ReleaseAsync(JobClaims claims, long[] jobIds, string worker) => claims.ReleaseAsync(Db, jobIds, worker);

        public async Task<Dictionary<long, Job>> RowsAsync() => await Db.Jobs.AsNoTracking().ToDictionaryAsync(j => j.Id);

        public async ValueTask DisposeAsync()
        {
            await Scope.DisposeAsync();
            await Server.DisposeAsync();
        }
    }
}
