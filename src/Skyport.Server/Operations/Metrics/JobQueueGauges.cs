using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Jobs;

namespace Skyport.Server.Operations.Metrics;

/// <summary>
/// Reads the job table when metrics are collected (a scrape), so the figures are the database's, shared by every
/// process, not one process's view. Queries are small aggregates over the (state, not_before) index. Collection
/// callbacks are synchronous, hence EF Core's synchronous API; a database that cannot be read yields no figures.
/// </summary>
public sealed class JobQueueGauges(IServiceScopeFactory scopes, TimeProvider clock, ILogger<JobQueueGauges> logger)
{
    public IEnumerable<Measurement<long>> ByState() => Query(db =>
    {
        var counts = db.Jobs.GroupBy(j => j.State).Select(g => new { State = g.Key, Count = g.LongCount() }).ToDictionary(g => g.State, g => g.Count);
        return Enum.GetValues<JobState>().Select(state => new Measurement<long>(counts.GetValueOrDefault(state),
            new KeyValuePair<string, object?>("state", state.ToString().ToLowerInvariant()))).ToList();
    });

    public IEnumerable<Measurement<long>> ReadyCount() => Query(db =>
    {
        var now = clock.GetUtcNow().UtcDateTime;
        return new List<Measurement<long>> { new(db.Jobs.LongCount(j => j.State == JobState.Queued && j.NotBefore <= now)) };
    });

    public IEnumerable<Measurement<double>> OldestWaitSeconds() => Query(db =>
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var oldest = db.Jobs.Where(j => j.State == JobState.Queued && j.NotBefore <= now).OrderBy(j => j.NotBefore).Select(j => (DateTime?)j.NotBefore).FirstOrDefault();
        return new List<Measurement<double>> { new(oldest is { } since ? Math.Max(0, (now - since).TotalSeconds) : 0) };
    });

    private List<Measurement<T>> Query<T>(Func<SkyportDbContext, List<Measurement<T>>> read) where T : struct
    {
        try
        {
            using var scope = scopes.CreateScope();
            return read(scope.ServiceProvider.GetRequiredService<SkyportDbContext>());
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not read job figures for metrics");
            return [];
        }
    }
}
