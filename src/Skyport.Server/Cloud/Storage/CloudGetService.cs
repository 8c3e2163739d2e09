using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Skyport.Server.Cloud.Authz;
using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;
using Skyport.Server.Histories;
using Skyport.Server.Uploads;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// <c>POST /api/cloud/storage/get</c>: checks everything first (payload, ownership of history and
/// authorization, credentials, bucket, every object), then queues one dataset and job per object — all or none.
/// </summary>
public sealed class CloudGetService(
    IdEncoder ids,
    HistoriesService histories,
    CloudAuthzService authorizations,
    CloudTransfers transfers,
    UploadItemFactory uploads,
    DatasetJobQueue queue,
    IOptions<TransferOptions> options)
{
    public const string ToolId = "cloud_get";

    public async Task<object> GetAsync(JsonElement body, CancellationToken cancellationToken)
    {
        var payload = Payload.Root(body);
        var prefix = payload.OptionalString("prefix");
        var required = prefix is null ? new[] { "history_id", "authz_id", "bucket", "objects" } : ["history_id", "authz_id", "bucket"];
        var missing = required.Where(name => !payload.Has(name)).ToArray();
        if (missing.Length > 0)
        {
            throw RequestParameterMissingException.For(missing);
        }
        var settings = options.Value;
        var objects = payload.OptionalStringList("objects", settings.MaxObjectsPerRequest) ?? [];
        if (objects.Any(string.IsNullOrEmpty))
        {
            throw new RequestParameterInvalidException("'objects' must not contain empty keys.");
        }
        var maxObjects = payload.OptionalInt("max_objects", 1, settings.MaxObjectsPerRequest) ?? settings.MaxObjectsPerRequest;
        var dryRun = payload.OptionalBool("dry_run") ?? false;
        var inputArgs = payload.OptionalObjectOrJsonString("input_args");
        var import = uploads.Import(inputArgs?.OptionalString("file_type"), inputArgs?.OptionalBool("to_posix_lines"), inputArgs?.OptionalBool("space_to_tab"), false);
        var dbkey = DatasetsService.ValidDbkey(inputArgs?.OptionalString("dbkey") ?? "?");
        var bucket = BucketName(payload.RequiredString("bucket"));
        var historyId = ids.Decode(new EncodedId(payload.RequiredString("history_id")), "history_id");
        var authzId = ids.Decode(new EncodedId(payload.RequiredString("authz_id")), "authz_id");

        var authz = await authorizations.FindOwnedAsync(authzId, tracked: false, cancellationToken);
        var history = await histories.FindWritableAsync(new EncodedId(ids.Encode(historyId)), cancellationToken);
        using var storage = transfers.Open(authz, "cloud get request");
        IReadOnlyList<StoredObject> found;
        if (prefix is null)
        {
            // The bucket first, so that a missing or forbidden bucket is told apart from a missing object.
            try
            {
                await storage.CheckBucketAsync(bucket, cancellationToken);
            }
            catch (StorageException e)
            {
                throw CloudStorageErrors.Bucket(bucket, e);
            }
            found = await HeadAllAsync(storage, bucket, objects, cancellationToken);
        }
        else
        {
            // The listing answers for the bucket itself (its failures are the bucket's): no separate check, which on a
            // store that lists by scanning the bucket costs as much as the listing.
            found = await ListPrefixAsync(storage, bucket, prefix, maxObjects, cancellationToken);
        }

        if (dryRun)
        {
            return new GetDryRun(found.Select(o => new GetDryRunObject(o.Key, o.Size)).ToList(), found.Count, found.Sum(o => o.Size));
        }
        var created = await queue.QueueAsync(history, found.Select(o => new QueuedDataset(
            o.Key, import.Extension, dbkey, ToolId,
            new CloudGetParameters(authz.Id, bucket, o.Key, import.Extension, import.ToPosixLines, import.SpaceToTab, o.Size), Bytes: o.Size)).ToList(),
            cancellationToken);
        return created.Select(c => DatasetSummary.From(c.Dataset, ids)).ToList();
    }

    /// <summary>Every named object must exist; checked concurrently, so many small objects do not cost one round trip each in series.</summary>
    private async Task<IReadOnlyList<StoredObject>> HeadAllAsync(IObjectStorage storage, string bucket, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        var results = new StoredObject?[keys.Count];
        var failures = new ConcurrentDictionary<int, StorageException?>();
        await Parallel.ForEachAsync(Enumerable.Range(0, keys.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Value.CheckConcurrency, CancellationToken = cancellationToken },
            async (index, ct) =>
            {
                try
                {
                    results[index] = await storage.HeadAsync(bucket, keys[index], ct);
                    if (results[index] is null)
                    {
                        failures[index] = null;
                    }
                }
                catch (StorageException e)
                {
                    failures[index] = e;
                }
            });
        if (!failures.IsEmpty)
        {
            var first = failures.Keys.Min();
            throw CloudStorageErrors.Object(bucket, keys[first], failures[first]);
        }
        return results!;
    }

    private static async Task<IReadOnlyList<StoredObject>> ListPrefixAsync(IObjectStorage storage, string bucket, string prefix, int maxObjects, CancellationToken cancellationToken)
    {
        var found = new List<StoredObject>();
        string? token = null;
        do
        {
            ObjectListing page;
            try
            {
                page = await storage.ListAsync(bucket, prefix, null, 1000, token, cancellationToken);
            }
            catch (StorageException e)
            {
                throw CloudStorageErrors.Bucket(bucket, e);
            }
            // Zero-byte keys ending in '/' are folder markers made by consoles, not data.
            found.AddRange(page.Objects.Where(o => !(o.Key.EndsWith('/') && o.Size == 0)));
            if (found.Count > maxObjects)
            {
                throw new RequestParameterInvalidException(
                    $"The prefix `{prefix}` holds more than {maxObjects} objects; narrow the prefix or raise 'max_objects'.");
            }
            token = page.NextPageToken;
        }
        while (token is not null);
        if (found.Count == 0)
        {
            throw new ObjectNotFoundException($"No objects found under the prefix `{prefix}` in bucket `{bucket}`.");
        }
        return found;
    }

    internal static string BucketName(string bucket)
    {
        bucket = bucket.Trim();
        if (bucket.Length is < 3 or > 255 || bucket.Contains('/') || bucket.Any(char.IsWhiteSpace))
        {
            throw new RequestParameterInvalidException($"'{bucket}' is not a valid bucket or container name.");
        }
        return bucket;
    }
}
