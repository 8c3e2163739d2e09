namespace Skyport.Server.Jobs;

/// <summary>
/// Undoes what an unfinished job left outside Skyport (such as an upload still open at a cloud provider) when the job
/// is cancelled while no worker runs it: queued for a retry, or held by a worker that died. A running job's handler
/// cleans up itself when cancelled. Registered per tool id (<see cref="JobsExtensions.AddJobCleanup{TCleanup}"/>);
/// best effort: a failure is logged and the cancel stands.
/// </summary>
public interface IJobCleanup
{
    Task CleanUpAsync(Job job, CancellationToken cancellationToken);
}
