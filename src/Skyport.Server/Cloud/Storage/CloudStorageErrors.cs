using Skyport.Server.Galaxy;

namespace Skyport.Server.Cloud.Storage;

/// <summary>Galaxy's answers when a store refuses a request's bucket or objects, checked before anything is queued.</summary>
public static class CloudStorageErrors
{
    public static GalaxyException Bucket(string bucket, StorageException e) => e.Failure switch
    {
        StorageFailure.Transient => new StoreUnavailableException($"The storage service did not answer for bucket `{bucket}`: {e.Message} Please try again."),
        _ => new ItemAccessibilityException(
            $"Could not get the bucket `{bucket}`. Please check if the bucket exists, and credentials are valid and authorized to read the bucket. ({e.Message})"),
    };

    public static GalaxyException Object(string bucket, string key, StorageException? e) => e?.Failure switch
    {
        StorageFailure.Transient => new StoreUnavailableException($"The storage service did not answer for `{key}` in `{bucket}`: {e.Message} Please try again."),
        StorageFailure.AccessDenied => new ItemAccessibilityException(
            $"Could not get the object `{key}`. Please check if the object exists, and credentials are valid and authorized to read the bucket and object. ({e.Message})"),
        _ => new ObjectNotFoundException(
            $"Could not get the object `{key}`. Please check if the object exists, and credentials are valid and authorized to read the bucket and object."),
    };
}

/// <summary>The cloud store could not be reached or was overloaded: not the caller's mistake, worth retrying.</summary>
public sealed class StoreUnavailableException(string message)
    : GalaxyException(message, StatusCodes.Status503ServiceUnavailable, 503001);
