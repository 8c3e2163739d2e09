using Skyport.Server.Cloud.Credentials;

namespace Skyport.Server.Cloud.Storage;

/// <summary>Runs every call of a store under one <see cref="CredentialPurpose"/>, so renewals it triggers are attributed to it.</summary>
internal sealed class PurposeScopedStorage(IObjectStorage inner, string purpose) : IObjectStorage
{
    public string Provider => inner.Provider;

    public async Task CheckBucketAsync(string bucket, CancellationToken cancellationToken)
    {
        using var _ = CredentialPurpose.Use(purpose);
        await inner.CheckBucketAsync(bucket, cancellationToken);
    }

    public async Task<StoredObject?> HeadAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        using var _ = CredentialPurpose.Use(purpose);
        return await inner.HeadAsync(bucket, key, cancellationToken);
    }

    public async Task<ObjectListing> ListAsync(string bucket, string? prefix, string? delimiter, int limit, string? pageToken, CancellationToken cancellationToken)
    {
        using var _ = CredentialPurpose.Use(purpose);
        return await inner.ListAsync(bucket, prefix, delimiter, limit, pageToken, cancellationToken);
    }

    public async Task<Stream> OpenReadAsync(string bucket, string key, long offset, long length, CancellationToken cancellationToken)
    {
        using var _ = CredentialPurpose.Use(purpose);
        return await inner.OpenReadAsync(bucket, key, offset, length, cancellationToken);
    }

    public async Task<ObjectRead?> ReadAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        using var _ = CredentialPurpose.Use(purpose);
        return await inner.ReadAsync(bucket, key, cancellationToken);
    }

    public async Task<StoredObject> UploadAsync(UploadRequest request, string? checkpoint, Func<string, Task> saveCheckpoint, Action<long> progress,
        CancellationToken cancellationToken)
    {
        using var _ = CredentialPurpose.Use(purpose);
        return await inner.UploadAsync(request, checkpoint, saveCheckpoint, progress, cancellationToken);
    }

    public async Task DeleteAsync(string bucket, string key, CancellationToken cancellationToken)
    {
        using var _ = CredentialPurpose.Use(purpose);
        await inner.DeleteAsync(bucket, key, cancellationToken);
    }

    public async Task AbortUploadAsync(string bucket, string key, string checkpoint, CancellationToken cancellationToken)
    {
        using var _ = CredentialPurpose.Use(purpose);
        await inner.AbortUploadAsync(bucket, key, checkpoint, cancellationToken);
    }

    public void Dispose() => inner.Dispose();
}
