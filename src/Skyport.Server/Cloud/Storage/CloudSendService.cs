using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Cloud.Authz;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;
using Skyport.Server.Histories;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// <c>POST /api/cloud/storage/send</c>: one job per dataset to send, answered in the seed's exact shape.
/// Deleted, purged and unfinished datasets are skipped; ids that are not datasets of the history become
/// failed labels. Nothing is created in the history.
/// </summary>
public sealed class CloudSendService(
    SkyportDbContext db,
    IdEncoder ids,
    HistoriesService histories,
    CloudAuthzService authorizations,
    CloudTransfers transfers,
    JobSignal signal,
    TimeProvider clock)
{
    public const string ToolId = "cloud_send";
    private const int MaxDatasets = 10_000;

    public async Task<SendResponse> SendAsync(JsonElement body, CancellationToken cancellationToken)
    {
        var payload = Payload.Root(body);
        var missing = new[] { "history_id", "authz_id", "bucket" }.Where(name => !payload.Has(name)).ToArray();
        if (missing.Length > 0)
        {
            throw RequestParameterMissingException.For(missing);
        }
        var bucket = CloudGetService.BucketName(payload.RequiredString("bucket"));
        var datasetIds = payload.OptionalStringList("dataset_ids", MaxDatasets);
        var overwrite = payload.OptionalBool("overwrite_existing") ?? false;
        var policy = payload.OptionalString("on_conflict") is { } text
            ? Enum.TryParse<ConflictPolicy>(text, ignoreCase: true, out var parsed) && !int.TryParse(text, out _)
                ? parsed
                : throw new RequestParameterInvalidException($"'on_conflict' must be rename, overwrite or skip (got '{text}').")
            : overwrite ? ConflictPolicy.Overwrite : ConflictPolicy.Rename;
        var keyPrefix = payload.OptionalString("key_prefix") ?? "";
        if (keyPrefix.Length > 512)
        {
            throw new RequestParameterInvalidException("'key_prefix' must be at most 512 characters.");
        }
        var historyId = ids.Decode(new EncodedId(payload.RequiredString("history_id")), "history_id");
        var authzId = ids.Decode(new EncodedId(payload.RequiredString("authz_id")), "authz_id");
        var authz = await authorizations.FindOwnedAsync(authzId, tracked: false, cancellationToken);
        var history = await histories.FindOwnedAsync(historyId, tracked: false, cancellationToken);

        using (var storage = transfers.Open(authz, "cloud send request"))
        {
            try
            {
                await storage.CheckBucketAsync(bucket, cancellationToken);
            }
            catch (StorageException e)
            {
                throw CloudStorageErrors.Bucket(bucket, e);
            }
        }

        var candidates = await db.Datasets.AsNoTracking().Where(d => d.HistoryId == history.Id).OrderBy(d => d.Hid)
            .Select(d => new { d.Id, d.Name, d.State, d.Deleted, d.Purged, d.FileSize }).ToListAsync(cancellationToken);
        var byId = candidates.ToDictionary(d => d.Id);
        var failed = new List<string>();
        var toSend = new List<(long Id, string Key, long Size)>();
        IEnumerable<long> wanted = candidates.Select(c => c.Id);
        if (datasetIds is not null)
        {
            var chosen = new List<long>();
            foreach (var encoded in datasetIds)
            {
                if (!ids.TryDecode(encoded, out var id) || !byId.ContainsKey(id))
                {
                    failed.Add(Label(new { @object = encoded, error = "Not a dataset of this history." }));
                    continue;
                }
                chosen.Add(id);
            }
            wanted = chosen.Distinct();
        }
        foreach (var id in wanted)
        {
            var dataset = byId[id];
            if (dataset.Deleted || dataset.Purged || dataset.State != DatasetState.Ok)
            {
                continue;
            }
            toSend.Add((id, keyPrefix + dataset.Name.Replace(' ', '_'), dataset.FileSize));
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var jobs = toSend.Select(item => new Job
        {
            UserId = history.UserId,
            HistoryId = history.Id,
            ToolId = ToolId,
            State = JobState.Queued,
            Parameters = JsonSerializer.Serialize(new CloudSendParameters(authz.Id, bucket, item.Key, policy), GalaxyJson.Options),
            InputDatasetId = item.Id,
            BytesTotal = item.Size,
            NotBefore = now,
            CreateTime = now,
            UpdateTime = now,
        }).ToList();
        db.Jobs.AddRange(jobs);
        await db.SaveChangesAsync(cancellationToken);
        signal.Notify(jobs.Count);

        var sent = toSend.Zip(jobs, (item, job) => Label(new { @object = item.Key, job_id = ids.Encode(job.Id) })).ToList();
        return new SendResponse(sent, failed, bucket);
    }

    private static string Label(object label) => JsonSerializer.Serialize(label);
}
