using Skyport.Server.Cloud.Authz;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Cloud.Storage;

/// <summary><c>GET /api/cloud/storage/list</c>: browse a bucket with the caller's authorization, a page at a time.</summary>
public sealed class CloudListService(IdEncoder ids, CloudAuthzService authorizations, CloudTransfers transfers)
{
    public async Task<BucketListing> ListAsync(string? authzId, string? bucket, string? prefix, string? delimiter, int? limit, string? pageToken,
        CancellationToken cancellationToken)
    {
        var missing = new[] { ("authz_id", authzId), ("bucket", bucket) }.Where(p => string.IsNullOrEmpty(p.Item2)).Select(p => p.Item1).ToArray();
        if (missing.Length > 0)
        {
            throw RequestParameterMissingException.For(missing);
        }
        var name = CloudGetService.BucketName(bucket!);
        var authz = await authorizations.FindOwnedAsync(ids.Decode(new EncodedId(authzId!), "authz_id"), tracked: false, cancellationToken);
        using var storage = transfers.Open(authz, "bucket listing");
        try
        {
            var page = await storage.ListAsync(name, prefix, delimiter, limit ?? 1000, pageToken, cancellationToken);
            return new BucketListing(name, prefix, page.Objects.Select(o => new ListedObject(o.Key, o.Size, o.LastModified, o.ETag?.Trim('"'))).ToList(),
                page.Prefixes, page.NextPageToken);
        }
        catch (StorageException e)
        {
            throw CloudStorageErrors.Bucket(name, e);
        }
    }
}
