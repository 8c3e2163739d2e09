using Skyport.Server.Cloud.Authz;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cloud.Storage;

/// <summary>Opens the store of an authorization, for a request or for a job, and translates store failures for jobs.</summary>
public sealed class CloudTransfers(CloudAuthzService authorizations, CredentialBroker broker, ObjectStorageFactory stores)
{
    public IObjectStorage Open(CloudAuthz authz, string purpose) =>
        stores.Open(broker.Get(authz, authorizations.ReadConfig(authz), purpose), purpose);

    /// <summary>
    /// The store of a job's authorization (which must still exist and belong to the job's user). The jobs of a batch run in
    /// one scope (<see cref="JobClaims"/>) and share the authorization's row, read by the first of them: a batch starts its
    /// last job within seconds of its claim, and a deleted authorization stops the next batch.
    /// </summary>
    public async Task<IObjectStorage> OpenForJobAsync(long authzId, Job job, CancellationToken cancellationToken)
    {
        var authz = _jobAuthz is { } read && read.Id == authzId && read.UserId == job.UserId
            ? read
            : _jobAuthz = await authorizations.FindForUserAsync(authzId, job.UserId, cancellationToken);
        return Open(authz, $"job {job.Id}");
    }

    private CloudAuthz? _jobAuthz;

    /// <summary>Runs a step of a job, turning store failures into retries (transient) or final failures (everything else).</summary>
    public static async Task<T> JobStepAsync<T>(Func<Task<T>> step)
    {
        try
        {
            return await step();
        }
        catch (StorageException e) when (e.Failure == StorageFailure.Transient)
        {
            throw new TransientJobException(e.Message, e);
        }
        catch (StorageException e)
        {
            throw new JobFailedException(e.Message, e);
        }
        catch (Galaxy.GalaxyException e)
        {
            throw new JobFailedException(e.Message, e);
        }
    }
}
