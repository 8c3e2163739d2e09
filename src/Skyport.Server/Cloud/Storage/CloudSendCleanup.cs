using System.Text.Json;
using Skyport.Server.Galaxy;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// A cloud send cancelled while no worker runs it (queued for a retry, or its worker died) aborts the upload its
/// checkpoint names (S3's multipart upload, Azure's staged blocks, GCS's resumable session) and removes an object of
/// its own that landed on a key that was free (<see cref="UnfinishedSend"/>).
/// </summary>
public sealed class CloudSendCleanup(CloudTransfers transfers) : IJobCleanup
{
    public async Task CleanUpAsync(Job job, CancellationToken cancellationToken)
    {
        if (job.Checkpoint is null
            || JsonSerializer.Deserialize<CloudSendJobHandler.SendCheckpoint>(job.Checkpoint, GalaxyJson.Options) is not { } checkpoint
            || (checkpoint.Upload is null && checkpoint.KeyWasFree != true))
        {
            return;
        }
        var parameters = JsonSerializer.Deserialize<CloudSendParameters>(job.Parameters, GalaxyJson.Options)
            ?? throw new InvalidOperationException($"Job {job.Id} has no parameters.");
        using var storage = await transfers.OpenForJobAsync(parameters.AuthzId, job, cancellationToken);
        await UnfinishedSend.AbortAsync(storage, parameters.Bucket, checkpoint, cancellationToken);
    }
}
