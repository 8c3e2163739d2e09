using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Datasets;

namespace Skyport.Server.Jobs;

/// <summary>
/// Cancels jobs: the row moves to <c>deleted</c> (which any worker holding it notices at its next
/// heartbeat), the output dataset is discarded, and a worker in this process is stopped at once.
/// </summary>
public sealed class JobCancellation(SkyportDbContext db, RunningJobs running, TimeProvider clock)
{
    public const string CancelledMessage = "The job was cancelled by the user.";

    /// <returns>True when the job was still unfinished and is now cancelled.</returns>
    public async Task<bool> CancelAsync(long jobId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var cancelled = await db.Jobs
            .Where(j => j.Id == jobId && (j.State == JobState.New || j.State == JobState.Queued || j.State == JobState.Running))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Deleted).SetProperty(j => j.CancelRequested, true)
                .SetProperty(j => j.Info, CancelledMessage).SetProperty(j => j.UpdateTime, now), cancellationToken) == 1;
        if (cancelled)
        {
            var outputId = await db.Jobs.Where(j => j.Id == jobId).Select(j => j.OutputDatasetId).SingleAsync(cancellationToken);
            if (outputId is { } datasetId)
            {
                await db.Datasets.Where(d => d.Id == datasetId && d.State != DatasetState.Ok)
                    .ExecuteUpdateAsync(s => s.SetProperty(d => d.State, DatasetState.Discarded)
                        .SetProperty(d => d.MiscInfo, CancelledMessage).SetProperty(d => d.UpdateTime, now), cancellationToken);
            }
            running.Cancel(jobId);
        }
        return cancelled;
    }

    public async Task CancelJobsProducingAsync(long datasetId, CancellationToken cancellationToken)
    {
        var jobIds = await db.Jobs
            .Where(j => j.OutputDatasetId == datasetId && (j.State == JobState.New || j.State == JobState.Queued || j.State == JobState.Running))
            .Select(j => j.Id).ToListAsync(cancellationToken);
        foreach (var jobId in jobIds)
        {
            await CancelAsync(jobId, cancellationToken);
        }
    }
}
