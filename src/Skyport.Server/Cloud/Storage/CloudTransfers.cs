using Skyport.Server.Cloud.Authz;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cloud.Storage;

/// <summary>Opens the store of an authorization, for a request or for a job, and translates store failures for jobs.</summary>
public sealed class CloudTransfers(CloudAuthzService authorizations, CredentialBroker broker, ObjectStorageFactory stores)
{
    public IObjectStorage Open(CloudAuthz authz, string purpose) =>
        stores.Open(broker.Get(authz, authorizations.ReadConfig(authz), purpose), purpose);

    /// <summary>The store of a job's authorization (which must still exist and belong to the job's user).</summary>
    public async Task<IObjectStorage> OpenForJobAsync(long authzId, Job job, CancellationToken cancellationToken)
    {
        var authz = await authorizations.FindForUserAsync(authzId, job.UserId, cancellationToken);
        return Open(authz, $"job {job.Id}");
    }

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
