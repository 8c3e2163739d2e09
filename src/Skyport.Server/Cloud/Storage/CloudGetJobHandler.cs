using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;
using Skyport.Server.Datasets;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cloud.Storage;

/// <summary>
/// One object into one dataset: download (parallel, resumable, verified) into <c>DATA/tmp/job-N.download</c>,
/// then import it like an upload (sniffing, text conversion, hashing, atomic move). The partial download is
/// kept across retries so a restarted job resumes (whichever step failed: during an outage the retry often fails
/// already at opening the store or at HEAD); it is removed on cancel, on a permanent failure, and when the last
/// attempt fails. A shutdown keeps it too: the job is given back and resumes on the next start.
/// </summary>
public sealed class CloudGetJobHandler(CloudTransfers transfers, ObjectDownloader downloader, DatasetImporter importer, DataDirectory data,
    IOptions<JobsOptions> jobs, Operations.Metrics.SkyportMetrics metrics) : IJobHandler
{
    public async Task RunAsync(JobContext context, CancellationToken cancellationToken)
    {
        var parameters = context.Parameters<CloudGetParameters>();
        var temp = Path.Combine(data.Temp, $"job-{context.Job.Id}.download");
        using var span = Operations.Telemetry.SkyportTelemetry.StartTransfer("get", parameters.Bucket);
        var keepPartial = false;
        try
        {
            using var storage = await CloudTransfers.JobStepAsync(() => transfers.OpenForJobAsync(parameters.AuthzId, context.Job, cancellationToken));
            var hashes = await CloudTransfers.JobStepAsync(() => downloader.DownloadAsync(storage, parameters.Bucket, parameters.Key, parameters.Size, temp, context, cancellationToken));
            await importer.ImportAsync(context, temp, consumeSource: true, hashes, parameters.Import, null, cancellationToken);
            metrics.Transferred(storage.Provider, "get", hashes.Length);
        }
        catch (Exception e) when ((JobFailure.IsTransient(e) && context.Job.Attempts < jobs.Value.MaxAttempts)
                                  || (e is OperationCanceledException && context.ShuttingDown))
        {
            keepPartial = true;
            throw;
        }
        finally
        {
            if (!keepPartial)
            {
                DatasetStorage.DeleteTemp(temp);
            }
        }
    }
}
