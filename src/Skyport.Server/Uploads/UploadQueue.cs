using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;
using Skyport.Server.Histories;
using Skyport.Server.Jobs;

namespace Skyport.Server.Uploads;

/// <summary>Creates the queued datasets and their jobs for validated upload items: all of them, or none.</summary>
public sealed class UploadQueue(
    SkyportDbContext db,
    HistoriesService histories,
    UploadSessions sessions,
    JobSignal signal,
    IdEncoder ids,
    TimeProvider clock)
{
    public async Task<ToolResponse> QueueAsync(History history, IReadOnlyList<UploadItem> items, string toolId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        List<(Dataset Dataset, Job Job)> created = [];
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var hid = await histories.ReserveHidsAsync(history.Id, items.Count, cancellationToken);
            foreach (var item in items)
            {
                if (item.SessionId is { } sessionId)
                {
                    await sessions.ClaimAsync(sessionId, cancellationToken);
                }
                var dataset = new Dataset
                {
                    HistoryId = history.Id,
                    Hid = hid++,
                    Name = item.Name,
                    State = DatasetState.Queued,
                    Extension = item.Import.Extension,
                    Dbkey = item.Dbkey,
                    Uuid = Guid.NewGuid(),
                    CreateTime = now,
                    UpdateTime = now,
                };
                db.Datasets.Add(dataset);
                await db.SaveChangesAsync(cancellationToken);
                var parameters = new UploadJobParameters(item.SessionId, item.Url?.ToString(), item.Import.Extension,
                    item.Import.ToPosixLines, item.Import.SpaceToTab, item.Import.AutoDecompress);
                var job = new Job
                {
                    UserId = history.UserId,
                    HistoryId = history.Id,
                    ToolId = toolId,
                    State = JobState.Queued,
                    Parameters = JsonSerializer.Serialize(parameters, GalaxyJson.Options),
                    OutputDatasetId = dataset.Id,
                    NotBefore = now,
                    CreateTime = now,
                    UpdateTime = now,
                };
                db.Jobs.Add(job);
                created.Add((dataset, job));
            }
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        signal.Notify(created.Count);
        return new ToolResponse(
            created.Select(c => DatasetSummary.From(c.Dataset, ids)).ToList(),
            created.Select(c => new JobSummary(ids.Encode(c.Job.Id), c.Job.ToolId, "queued", ids.Encode(history.Id), c.Job.CreateTime, c.Job.UpdateTime)).ToList());
    }
}
