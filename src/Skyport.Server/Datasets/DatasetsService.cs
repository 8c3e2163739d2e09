using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Skyport.Server.Cloud.Storage;
using Skyport.Server.Data;
using Skyport.Server.Datasets.Storage;
using Skyport.Server.Datatypes;
using Skyport.Server.Galaxy;
using Skyport.Server.Histories;
using Skyport.Server.Jobs;
using Skyport.Server.Users;

namespace Skyport.Server.Datasets;

public sealed partial class DatasetsService(
    SkyportDbContext db,
    CurrentUser current,
    IdEncoder ids,
    HistoriesService histories,
    IDatasetStore store,
    DatatypeRegistry datatypes,
    JobCancellation cancellation,
    TimeProvider clock,
    ILogger<DatasetsService> logger)
{
    private const int MaxNameLength = 1024;

    public async Task<DatasetDetails> ShowAsync(EncodedId id, CancellationToken cancellationToken)
    {
        var dataset = await FindOwnedAsync(ids.Decode(id, "dataset id"), tracked: false, cancellationToken);
        return await DetailsAsync(dataset, cancellationToken);
    }

    /// <summary>A dataset addressed through a history: it must belong to that history (404 otherwise).</summary>
    public async Task<DatasetDetails> ShowInHistoryAsync(EncodedId historyId, EncodedId id, CancellationToken cancellationToken)
    {
        var dataset = await FindInHistoryAsync(historyId, id, tracked: false, cancellationToken);
        return await DetailsAsync(dataset, cancellationToken);
    }

    public async Task<IReadOnlyList<DatasetContentItem>> ListContentsAsync(EncodedId historyId, ContentsQuery query, CancellationToken cancellationToken)
    {
        var (history, rows) = await QueryContentsAsync(historyId, query, cancellationToken);
        var encodedHistory = ids.Encode(history);
        var items = new List<DatasetContentItem>();
        await foreach (var d in rows.WithCancellation(cancellationToken))
        {
            var id = ids.Encode(d.Id);
            items.Add(new DatasetContentItem(id, d.Hid, d.Name, DatasetViews.StateName(d.State), d.Extension, d.FileSize,
                d.Deleted, d.Purged, d.Visible, encodedHistory, d.CreateTime, d.UpdateTime, $"/api/histories/{encodedHistory}/contents/{id}"));
        }
        return items;
    }

    /// <summary>
    /// <c>GET /api/histories/{id}/contents</c>: the history is checked here (a wrong id is still a Galaxy error), then the
    /// rows are streamed from the database into the response by <see cref="DatasetContentsJson"/>.
    /// </summary>
    public async Task<IResult> ListContentsJsonAsync(EncodedId historyId, ContentsQuery query, CancellationToken cancellationToken)
    {
        var (history, rows) = await QueryContentsAsync(historyId, query, cancellationToken);
        return new DatasetContentsResult(history, rows, ids);
    }

    private async Task<(long History, IAsyncEnumerable<DatasetContentRow> Rows)> QueryContentsAsync(EncodedId historyId, ContentsQuery query,
        CancellationToken cancellationToken)
    {
        var history = await histories.FindOwnedAsync(ids.Decode(historyId, "history id"), tracked: false, cancellationToken);
        if (query.Types is { } types && !types.Split(',').Contains("dataset"))
        {
            return (history.Id, AsyncEnumerable.Empty<DatasetContentRow>());
        }
        if (db.Database.IsSqlite())
        {
            return (history.Id, SqliteContentsReader.ReadAsync(db, history.Id, query.Deleted, query.Visible, query.Offset ?? 0,
                query.Limit ?? int.MaxValue, cancellationToken));
        }
        var rows = ContentsQuery(db, history.Id, query).AsAsyncEnumerable();
        return (history.Id, rows);
    }

    /// <summary>The contents query through EF Core (PostgreSQL; on SQLite <see cref="SqliteContentsReader"/> runs the same query).</summary>
    internal static IQueryable<DatasetContentRow> ContentsQuery(SkyportDbContext db, long historyId, ContentsQuery query)
    {
        var items = db.Datasets.AsNoTracking().Where(d => d.HistoryId == historyId);
        if (query.Deleted is { } deleted)
        {
            items = items.Where(d => d.Deleted == deleted);
        }
        if (query.Visible is { } visible)
        {
            items = items.Where(d => d.Visible == visible);
        }
        return items.OrderBy(d => d.Hid)
            .Skip(query.Offset ?? 0).Take(query.Limit ?? int.MaxValue)
            .Select(d => new DatasetContentRow(d.Id, d.Hid, d.Name, d.State, d.Extension, d.FileSize, d.Deleted, d.Purged, d.Visible,
                d.CreateTime, d.UpdateTime));
    }

    public async Task<DatasetDetails> UpdateAsync(EncodedId id, UpdateDatasetRequest request, CancellationToken cancellationToken) =>
        await UpdateAsync(await FindOwnedAsync(ids.Decode(id, "dataset id"), tracked: true, cancellationToken), request, cancellationToken);

    public async Task<DatasetDetails> UpdateInHistoryAsync(EncodedId historyId, EncodedId id, UpdateDatasetRequest request, CancellationToken cancellationToken) =>
        await UpdateAsync(await FindInHistoryAsync(historyId, id, tracked: true, cancellationToken), request, cancellationToken);

    public async Task<DatasetDetails> DeleteInHistoryAsync(EncodedId historyId, EncodedId id, bool purge, CancellationToken cancellationToken) =>
        await DeleteAsync(await FindInHistoryAsync(historyId, id, tracked: true, cancellationToken), purge, cancellationToken);

    public async Task<DatasetDetails> DeleteAsync(EncodedId id, bool purge, CancellationToken cancellationToken) =>
        await DeleteAsync(await FindOwnedAsync(ids.Decode(id, "dataset id"), tracked: true, cancellationToken), purge, cancellationToken);

    /// <summary>The dataset's bytes, with HTTP range support; <paramref name="toExt"/> makes it a named download as in Galaxy.</summary>
    public async Task<IResult> DisplayAsync(EncodedId id, string? toExt, CancellationToken cancellationToken) =>
        await DisplayAsync(await FindOwnedAsync(ids.Decode(id, "dataset id"), tracked: false, cancellationToken), toExt, cancellationToken);

    /// <summary>The download_url form: like the other history item routes, the dataset must belong to that history.</summary>
    public async Task<IResult> DisplayInHistoryAsync(EncodedId historyId, EncodedId id, string? toExt, CancellationToken cancellationToken) =>
        await DisplayAsync(await FindInHistoryAsync(historyId, id, tracked: false, cancellationToken), toExt, cancellationToken);

    private async Task<IResult> DisplayAsync(Dataset dataset, string? toExt, CancellationToken cancellationToken)
    {
        if (dataset.Purged)
        {
            throw new ActionInputException("The dataset you are attempting to view has been purged.");
        }
        if (dataset.State != DatasetState.Ok || !await StoredAsync(dataset.Uuid, cancellationToken))
        {
            throw new ActionInputException($"The dataset is not ready to be displayed (state: {DatasetViews.StateName(dataset.State)}).");
        }
        var type = datatypes.Get(dataset.Extension);
        string? downloadName = null;
        if (!string.IsNullOrEmpty(toExt))
        {
            var ext = SafeFileName().Replace(toExt, "_");
            downloadName = $"Galaxy{dataset.Hid}-[{SafeFileName().Replace(dataset.Name, "_")}].{ext}";
        }
        var contentType = downloadName is null && !type.IsBinary ? "text/plain; charset=utf-8" : type.MimeType;
        return new DatasetFileResult(store, dataset.Uuid, dataset.FileSize, contentType, downloadName, dataset.UpdateTime,
            dataset.Sha256 is null ? null : new EntityTagHeaderValue($"\"{dataset.Sha256}\""));
    }

    private async Task<bool> StoredAsync(Guid uuid, CancellationToken cancellationToken)
    {
        try
        {
            return await store.ExistsAsync(uuid, cancellationToken);
        }
        catch (StorageException e) when (e.Failure == StorageFailure.Transient)
        {
            throw new StoreUnavailableException($"The dataset store did not answer: {e.Message} Please try again.");
        }
    }

    /// <summary>The caller's dataset: 404 when it does not exist, 403 when it belongs to someone else.</summary>
    public async Task<Dataset> FindOwnedAsync(long datasetId, bool tracked, CancellationToken cancellationToken)
    {
        var query = tracked ? db.Datasets : db.Datasets.AsNoTracking();
        var found = await query.Where(d => d.Id == datasetId)
            .Select(d => new { Dataset = d, Owner = db.Histories.Where(h => h.Id == d.HistoryId).Select(h => h.UserId).First() })
            .FirstOrDefaultAsync(cancellationToken)
            ?? throw new ObjectNotFoundException("Dataset not found.");
        if (found.Owner != current.Id)
        {
            throw new ItemAccessibilityException("Dataset is not accessible by the current user.");
        }
        return found.Dataset;
    }

    private async Task<Dataset> FindInHistoryAsync(EncodedId historyId, EncodedId id, bool tracked, CancellationToken cancellationToken)
    {
        var history = await histories.FindOwnedAsync(ids.Decode(historyId, "history id"), tracked: false, cancellationToken);
        var datasetId = ids.Decode(id, "dataset id");
        var query = tracked ? db.Datasets : db.Datasets.AsNoTracking();
        return await query.FirstOrDefaultAsync(d => d.Id == datasetId && d.HistoryId == history.Id, cancellationToken)
            ?? throw new ObjectNotFoundException("Dataset not found in this history.");
    }

    private async Task<DatasetDetails> UpdateAsync(Dataset dataset, UpdateDatasetRequest request, CancellationToken cancellationToken)
    {
        if (request.Name is { } name)
        {
            name = name.Trim();
            if (name.Length == 0 || name.Length > MaxNameLength)
            {
                throw new RequestParameterInvalidException($"Dataset name must be 1 to {MaxNameLength} characters.");
            }
            dataset.Name = name;
        }
        if ((request.Extension ?? request.FileExt) is { } extension)
        {
            if (!datatypes.IsKnown(extension))
            {
                throw new RequestParameterInvalidException($"Unknown datatype '{extension}'. See /api/datatypes.");
            }
            dataset.Extension = extension;
        }
        if ((request.GenomeBuild ?? request.Dbkey) is { } dbkey)
        {
            dataset.Dbkey = ValidDbkey(dbkey);
        }
        if (request.Visible is { } visible)
        {
            dataset.Visible = visible;
        }
        if (request.Deleted is { } deleted)
        {
            if (!deleted && dataset.Purged)
            {
                throw new ActionInputException("A purged dataset cannot be undeleted.");
            }
            dataset.Deleted = deleted;
        }
        dataset.UpdateTime = clock.GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(cancellationToken);
        return await DetailsAsync(dataset, cancellationToken);
    }

    /// <summary>Marks deleted (and purged: file removed). Deleting a dataset whose job has not finished cancels that job.</summary>
    private async Task<DatasetDetails> DeleteAsync(Dataset dataset, bool purge, CancellationToken cancellationToken)
    {
        dataset.Deleted = true;
        dataset.UpdateTime = clock.GetUtcNow().UtcDateTime;
        if (purge)
        {
            dataset.Purged = true;
        }
        await db.SaveChangesAsync(cancellationToken);
        await cancellation.CancelJobsProducingAsync(dataset.Id, cancellationToken);
        if (purge)
        {
            await store.DeleteQuietlyAsync(dataset.Uuid, logger);
        }
        return await DetailsAsync(dataset, cancellationToken);
    }

    private async Task<DatasetDetails> DetailsAsync(Dataset d, CancellationToken cancellationToken)
    {
        var creatingJob = await db.Jobs.AsNoTracking().Where(j => j.OutputDatasetId == d.Id)
            .OrderByDescending(j => j.Id).Select(j => (long?)j.Id).FirstOrDefaultAsync(cancellationToken);
        var id = ids.Encode(d.Id);
        var historyId = ids.Encode(d.HistoryId);
        List<DatasetHash> hashes = [];
        if (d.Md5 is not null)
        {
            hashes.Add(new DatasetHash("MD5", d.Md5));
        }
        if (d.Sha256 is not null)
        {
            hashes.Add(new DatasetHash("SHA-256", d.Sha256));
        }
        return new DatasetDetails(id, d.Hid, d.Name, DatasetViews.StateName(d.State), d.Extension, d.FileSize, d.Dbkey,
            d.MiscInfo, d.MiscBlurb, d.Peek, d.CreateTime, d.UpdateTime, historyId, d.Deleted, d.Purged, d.Visible, d.Uuid,
            hashes, creatingJob is { } j ? ids.Encode(j) : null,
            $"/api/histories/{historyId}/contents/{id}", $"/api/histories/{historyId}/contents/{id}/display");
    }

    public static string ValidDbkey(string dbkey)
    {
        dbkey = dbkey.Trim();
        if (dbkey.Length == 0)
        {
            return "?";
        }
        if (dbkey.Length > 64 || !DbkeyPattern().IsMatch(dbkey))
        {
            throw new RequestParameterInvalidException($"Invalid dbkey '{dbkey}': use letters, digits, '.', '_', '-' or '?' (at most 64).");
        }
        return dbkey;
    }

    [GeneratedRegex(@"^[A-Za-z0-9._?\-]+$")]
    private static partial Regex DbkeyPattern();

    [GeneratedRegex(@"[^A-Za-z0-9._\- ]")]
    private static partial Regex SafeFileName();
}
