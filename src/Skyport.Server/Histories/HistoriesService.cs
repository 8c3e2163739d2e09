using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Datasets.Storage;
using Skyport.Server.Galaxy;
using Skyport.Server.Users;

namespace Skyport.Server.Histories;

public sealed class HistoriesService(
    SkyportDbContext db,
    CurrentUser current,
    IdEncoder ids,
    IDatasetStore store,
    TimeProvider clock,
    ILogger<HistoriesService> logger)
{
    private const int MaxNameLength = 255;

    public async Task<IReadOnlyList<HistorySummary>> ListAsync(HistoryListQuery query, CancellationToken cancellationToken)
    {
        var userId = current.Id;
        var histories = db.Histories.AsNoTracking().Where(h => h.UserId == userId);
        var deleted = query.Deleted ?? false;
        if (query.Q.Length != query.Qv.Length)
        {
            throw new RequestParameterInvalidException("The number of 'q' and 'qv' parameters must match.");
        }
        foreach (var (key, value) in query.Q.Zip(query.Qv))
        {
            switch (key)
            {
                case "name" or "name-eq":
                    histories = histories.Where(h => h.Name == value);
                    break;
                case "name-contains":
                    // Case-insensitive on every provider (SQLite's LIKE is, PostgreSQL's is not).
                    var lowered = value.ToLowerInvariant();
                    histories = histories.Where(h => h.Name.ToLower().Contains(lowered));
                    break;
                case "deleted":
                    deleted = LenientBool(key, value);
                    break;
                case "purged":
                    var purged = LenientBool(key, value);
                    histories = histories.Where(h => h.Purged == purged);
                    break;
                default:
                    throw new RequestParameterInvalidException($"Unsupported filter q='{key}'. Use name, name-eq, name-contains, deleted or purged.");
            }
        }
        var page = await histories.Where(h => h.Deleted == deleted)
            .OrderByDescending(h => h.UpdateTime).ThenByDescending(h => h.Id)
            .Skip(query.Offset ?? 0).Take(query.Limit ?? int.MaxValue)
            .Select(h => new
            {
                h.Id, h.Name, h.Deleted, h.Purged, h.CreateTime, h.UpdateTime,
                Count = db.Datasets.Count(d => d.HistoryId == h.Id && !d.Deleted),
            })
            .ToListAsync(cancellationToken);
        return page.Select(h =>
        {
            var id = ids.Encode(h.Id);
            return new HistorySummary(id, h.Name, h.Deleted, h.Purged, h.Count, h.CreateTime, h.UpdateTime, $"/api/histories/{id}");
        }).ToList();
    }

    public async Task<HistoryDetails> CreateAsync(CreateHistoryRequest? request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var history = new History
        {
            UserId = current.Id,
            Name = ValidName(request?.Name) ?? "Unnamed history",
            CreateTime = now,
            UpdateTime = now,
        };
        db.Histories.Add(history);
        await db.SaveChangesAsync(cancellationToken);
        return await DetailsAsync(history, cancellationToken);
    }

    public async Task<HistoryDetails> ShowAsync(EncodedId id, CancellationToken cancellationToken)
    {
        var history = await FindOwnedAsync(ids.Decode(id, "history id"), tracked: false, cancellationToken);
        return await DetailsAsync(history, cancellationToken);
    }

    public async Task<HistoryDetails> UpdateAsync(EncodedId id, UpdateHistoryRequest request, CancellationToken cancellationToken)
    {
        var history = await FindOwnedAsync(ids.Decode(id, "history id"), tracked: true, cancellationToken);
        if (request.Name is not null)
        {
            history.Name = ValidName(request.Name)!;
        }
        if (request.Annotation is not null)
        {
            if (request.Annotation.Length > 4096)
            {
                throw new RequestParameterInvalidException("Annotation must be at most 4096 characters.");
            }
            history.Annotation = request.Annotation;
        }
        if (request.Deleted is { } deleted)
        {
            if (!deleted && history.Purged)
            {
                throw new ActionInputException("A purged history cannot be undeleted.");
            }
            history.Deleted = deleted;
        }
        history.UpdateTime = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        return await DetailsAsync(history, cancellationToken);
    }

    /// <summary>Marks the history deleted; with <paramref name="purge"/> also purges every dataset and removes its file.</summary>
    public async Task<HistoryDetails> DeleteAsync(EncodedId id, bool purge, CancellationToken cancellationToken)
    {
        var history = await FindOwnedAsync(ids.Decode(id, "history id"), tracked: true, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        history.Deleted = true;
        history.UpdateTime = now;
        List<Guid> files = [];
        if (purge)
        {
            history.Purged = true;
            files = await db.Datasets.Where(d => d.HistoryId == history.Id && !d.Purged).Select(d => d.Uuid).ToListAsync(cancellationToken);
            await db.Datasets.Where(d => d.HistoryId == history.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(d => d.Deleted, true).SetProperty(d => d.Purged, true).SetProperty(d => d.UpdateTime, now), cancellationToken);
        }
        await db.SaveChangesAsync(cancellationToken);
        // Files go only after the rows say purged: a crash in between leaves orphaned files, never rows without bytes.
        foreach (var uuid in files)
        {
            await store.DeleteQuietlyAsync(uuid, logger);
        }
        return await DetailsAsync(history, cancellationToken);
    }

    /// <summary>The caller's history: 404 when it does not exist, 403 when it is someone else's (Galaxy's answers).</summary>
    public async Task<History> FindOwnedAsync(long historyId, bool tracked, CancellationToken cancellationToken)
    {
        var query = tracked ? db.Histories : db.Histories.AsNoTracking();
        var history = await query.FirstOrDefaultAsync(h => h.Id == historyId, cancellationToken)
            ?? throw new ObjectNotFoundException("History not found.");
        if (history.UserId != current.Id)
        {
            throw new ItemAccessibilityException("History is not accessible by the current user.");
        }
        return history;
    }

    /// <summary>A history that may receive new datasets.</summary>
    public async Task<History> FindWritableAsync(EncodedId id, CancellationToken cancellationToken)
    {
        var history = await FindOwnedAsync(ids.Decode(id, "history id"), tracked: false, cancellationToken);
        if (history.Deleted)
        {
            throw new ActionInputException("The history is deleted; undelete it before adding datasets.");
        }
        return history;
    }

    /// <summary>
    /// Reserves <paramref name="count"/> consecutive hids and returns the first. The increment is a single
    /// UPDATE, so concurrent reservations never collide; call it inside the transaction that inserts the items.
    /// </summary>
    public async Task<int> ReserveHidsAsync(long historyId, int count, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await db.Histories.Where(h => h.Id == historyId)
            .ExecuteUpdateAsync(s => s.SetProperty(h => h.HidCounter, h => h.HidCounter + count).SetProperty(h => h.UpdateTime, now), cancellationToken);
        var last = await db.Histories.Where(h => h.Id == historyId).Select(h => h.HidCounter).SingleAsync(cancellationToken);
        return last - count + 1;
    }

    private async Task<HistoryDetails> DetailsAsync(History history, CancellationToken cancellationToken)
    {
        var states = await db.Datasets.AsNoTracking()
            .Where(d => d.HistoryId == history.Id && !d.Deleted)
            .GroupBy(d => d.State)
            .Select(g => new { State = g.Key, Count = g.Count(), Size = g.Sum(d => d.FileSize) })
            .ToListAsync(cancellationToken);
        var hidCounter = await db.Histories.AsNoTracking().Where(h => h.Id == history.Id).Select(h => h.HidCounter).SingleAsync(cancellationToken);
        var details = Enum.GetValues<DatasetState>().ToDictionary(
            s => DatasetViews.StateName(s), s => states.FirstOrDefault(x => x.State == s)?.Count ?? 0);
        var count = states.Sum(s => s.Count);
        var size = states.Sum(s => s.Size);
        var id = ids.Encode(history.Id);
        return new HistoryDetails(id, history.Name, history.Annotation, ids.Encode(history.UserId), history.Deleted, history.Purged,
            count, hidCounter + 1, size, ByteSize.Nice(size), AggregateState(details), details, count == 0,
            history.CreateTime, history.UpdateTime, $"/api/histories/{id}", $"/api/histories/{id}/contents");
    }

    /// <summary>Galaxy's history state: the most pressing state among its datasets.</summary>
    private static string AggregateState(IReadOnlyDictionary<string, int> counts)
    {
        foreach (var state in new[] { "error", "running", "queued", "new" })
        {
            if (counts[state] > 0)
            {
                return state;
            }
        }
        return counts["ok"] > 0 ? "ok" : "new";
    }

    private static string? ValidName(string? name)
    {
        if (name is null)
        {
            return null;
        }
        name = name.Trim();
        if (name.Length == 0)
        {
            throw new RequestParameterInvalidException("History name must not be empty.");
        }
        if (name.Length > MaxNameLength)
        {
            throw new RequestParameterInvalidException($"History name must be at most {MaxNameLength} characters.");
        }
        return name;
    }

    private static bool LenientBool(string key, string value) =>
        LenientBooleanConverter.TryParse(value) ?? throw new RequestParameterInvalidException($"Filter '{key}' needs true or false (got '{value}').");
}
