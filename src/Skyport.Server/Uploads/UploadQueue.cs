using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;
using Skyport.Server.Histories;

namespace Skyport.Server.Uploads;

/// <summary>Queues validated upload items as datasets and jobs (all or none); each session is claimed in the same transaction.</summary>
public sealed class UploadQueue(DatasetJobQueue queue, UploadSessions sessions, IdEncoder ids)
{
    public async Task<ToolResponse> QueueAsync(History history, IReadOnlyList<UploadItem> items, string toolId, CancellationToken cancellationToken)
    {
        var created = await queue.QueueAsync(history, items.Select(item => new QueuedDataset(
            item.Name, item.Import.Extension, item.Dbkey, toolId,
            new UploadJobParameters(item.SessionId, item.Url?.ToString(), item.Import.Extension, item.Import.ToPosixLines, item.Import.SpaceToTab, item.Import.AutoDecompress),
            item.SessionId is { } sessionId ? ct => sessions.ClaimAsync(sessionId, ct) : null)).ToList(), cancellationToken);
        return new ToolResponse(
            created.Select(c => DatasetSummary.From(c.Dataset, ids)).ToList(),
            created.Select(c => new JobSummary(ids.Encode(c.Job.Id), c.Job.ToolId, "queued", ids.Encode(history.Id), c.Job.CreateTime, c.Job.UpdateTime)).ToList());
    }
}
