using System.Text.Json;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;
using Skyport.Server.Histories;
using Skyport.Server.Jobs;

namespace Skyport.Server.Datasets;

/// <summary>One new dataset and the job that will fill it. <see cref="Claim"/> runs inside the transaction (e.g. taking an upload session).</summary>
/// <param name="Bytes">How many bytes the job will move, when known (the job's progress total, and what lets small jobs run in batches).</param>
public sealed record QueuedDataset(string Name, string Extension, string Dbkey, string ToolId, object Parameters, Func<CancellationToken, Task>? Claim = null,
    long? Bytes = null);

/// <summary>
/// Creates queued datasets (with consecutive hids) and their jobs in one transaction: every item of a
/// request, or none. Used by uploads and by cloud get. The rows go in through one prepared statement per table
/// (<see cref="RowInserter"/>): a request may name a thousand objects.
/// </summary>
public sealed class DatasetJobQueue(SkyportDbContext db, HistoriesService histories, JobSignal signal, TimeProvider clock)
{
    public async Task<IReadOnlyList<(Dataset Dataset, Job Job)>> QueueAsync(History history, IReadOnlyList<QueuedDataset> items, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var datasets = new List<Dataset>(items.Count);
        var jobs = new List<Job>(items.Count);
        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var hid = await histories.ReserveHidsAsync(history.Id, items.Count, cancellationToken);
            foreach (var item in items)
            {
                if (item.Claim is not null)
                {
                    await item.Claim(cancellationToken);
                }
                datasets.Add(new Dataset
                {
                    HistoryId = history.Id,
                    Hid = hid++,
                    Name = item.Name,
                    State = DatasetState.Queued,
                    Extension = item.Extension,
                    Dbkey = item.Dbkey,
                    Uuid = Guid.NewGuid(),
                    CreateTime = now,
                    UpdateTime = now,
                });
            }
            await db.InsertAsync(datasets, cancellationToken);
            for (var i = 0; i < items.Count; i++)
            {
                jobs.Add(new Job
                {
                    UserId = history.UserId,
                    HistoryId = history.Id,
                    ToolId = items[i].ToolId,
                    State = JobState.Queued,
                    Parameters = JsonSerializer.Serialize(items[i].Parameters, items[i].Parameters.GetType(), GalaxyJson.Options),
                    OutputDatasetId = datasets[i].Id,
                    BytesTotal = items[i].Bytes,
                    NotBefore = now,
                    CreateTime = now,
                    UpdateTime = now,
                });
            }
            await db.InsertAsync(jobs, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        signal.Notify(jobs.Count);
        return datasets.Zip(jobs).ToList();
    }
}
