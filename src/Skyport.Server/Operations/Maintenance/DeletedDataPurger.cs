using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Datasets.Storage;
using Skyport.Server.Jobs;

namespace Skyport.Server.Operations.Maintenance;

public sealed record PurgeResult(int Datasets, long Bytes, int Histories);

/// <summary>
/// Removes the files of datasets deleted (or in a history deleted) longer ago than a retention age, as Galaxy's
/// cleanup scripts do: rows become purged first, files go after, so a crash leaves an orphaned file, never a row
/// without bytes. A dataset an unfinished job still reads (a send) is left for a later run; each row is
/// purged by a conditional update, so one undeleted meanwhile is left alone.
/// </summary>
public sealed class DeletedDataPurger(SkyportDbContext db, IDatasetStore storage, TimeProvider clock, ILogger<DeletedDataPurger> logger)
{
    public async Task<PurgeResult> PurgeAsync(TimeSpan olderThan, bool dryRun, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var cutoff = now - olderThan;
        var candidates = await Expired(cutoff).Select(d => new { d.Id, d.Uuid, d.FileSize }).ToListAsync(cancellationToken);
        if (dryRun)
        {
            return new PurgeResult(candidates.Count, candidates.Sum(d => d.FileSize), await ExpiredHistories(cutoff).CountAsync(cancellationToken));
        }
        var purged = 0;
        long bytes = 0;
        foreach (var dataset in candidates)
        {
            var updated = await Expired(cutoff).Where(d => d.Id == dataset.Id).ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Deleted, true).SetProperty(d => d.Purged, true).SetProperty(d => d.UpdateTime, now), cancellationToken);
            if (updated == 1)
            {
                await storage.DeleteQuietlyAsync(dataset.Uuid, logger);
                purged++;
                bytes += dataset.FileSize;
            }
        }
        var histories = await ExpiredHistories(cutoff).ExecuteUpdateAsync(s => s.SetProperty(h => h.Purged, true), cancellationToken);
        logger.LogInformation("Purged {Datasets} datasets ({Bytes} bytes) and {Histories} histories deleted before {Cutoff:u}", purged, bytes, histories, cutoff);
        return new PurgeResult(purged, bytes, histories);
    }

    private IQueryable<Dataset> Expired(DateTime cutoff) =>
        db.Datasets.Where(d => !d.Purged
                               && ((d.Deleted && d.UpdateTime < cutoff) || db.Histories.Any(h => h.Id == d.HistoryId && h.Deleted && h.UpdateTime < cutoff))
                               && !db.Jobs.Any(j => j.InputDatasetId == d.Id && (j.State == JobState.New || j.State == JobState.Queued || j.State == JobState.Running)));

    /// <summary>Deleted histories past the age whose datasets are all purged.</summary>
    private IQueryable<Histories.History> ExpiredHistories(DateTime cutoff) =>
        db.Histories.Where(h => h.Deleted && !h.Purged && h.UpdateTime < cutoff && !db.Datasets.Any(d => d.HistoryId == h.Id && !d.Purged));
}
