using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;
using Skyport.Server.Users;

namespace Skyport.Server.Jobs;

public sealed class JobsService(SkyportDbContext db, CurrentUser current, IdEncoder ids, JobCancellation cancellation)
{
    public async Task<JobView> ShowAsync(EncodedId id, CancellationToken cancellationToken) =>
        await ViewAsync(await FindOwnedAsync(ids.Decode(id, "job id"), cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<JobView>> ListAsync(EncodedId? historyId, string[] states, int? limit, int? offset, CancellationToken cancellationToken)
    {
        var userId = current.Id;
        var jobs = db.Jobs.AsNoTracking().Where(j => j.UserId == userId);
        if (historyId is { } h)
        {
            var decoded = ids.Decode(h, "history id");
            jobs = jobs.Where(j => j.HistoryId == decoded);
        }
        var wanted = states.SelectMany(s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(ParseState).ToList();
        if (wanted.Count > 0)
        {
            jobs = jobs.Where(j => wanted.Contains(j.State));
        }
        var page = await jobs.OrderByDescending(j => j.Id).Skip(offset ?? 0).Take(limit ?? 500).ToListAsync(cancellationToken);
        var views = new List<JobView>(page.Count);
        foreach (var job in page)
        {
            views.Add(await ViewAsync(job, cancellationToken));
        }
        return views;
    }

    /// <summary>Galaxy's <c>DELETE /api/jobs/{id}</c>: true when the job was stopped, false when it had already finished.</summary>
    public async Task<bool> CancelAsync(EncodedId id, CancellationToken cancellationToken)
    {
        var job = await FindOwnedAsync(ids.Decode(id, "job id"), cancellationToken);
        return await cancellation.CancelAsync(job.Id, cancellationToken);
    }

    private async Task<Job> FindOwnedAsync(long jobId, CancellationToken cancellationToken)
    {
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, cancellationToken)
            ?? throw new ObjectNotFoundException("Job not found.");
        if (job.UserId != current.Id && !current.IsAdmin)
        {
            throw new ItemAccessibilityException("Job is not accessible by the current user.");
        }
        return job;
    }

    private async Task<JobView> ViewAsync(Job job, CancellationToken cancellationToken)
    {
        var datasetIds = new[] { job.OutputDatasetId, job.InputDatasetId }.OfType<long>().ToArray();
        var uuids = await db.Datasets.AsNoTracking().Where(d => datasetIds.Contains(d.Id))
            .ToDictionaryAsync(d => d.Id, d => d.Uuid, cancellationToken);
        Dictionary<string, JobOutput> Describe(long? datasetId, string name) => datasetId is { } d
            ? new() { [name] = new JobOutput(ids.Encode(d), "hda", uuids.TryGetValue(d, out var u) ? u : null) }
            : [];
        var percent = job.BytesTotal is > 0 ? Math.Round(100.0 * job.BytesDone / job.BytesTotal.Value, 1) : (double?)null;
        return new JobView(ids.Encode(job.Id), job.State.ToString().ToLowerInvariant(), job.ToolId,
            job.HistoryId is { } h ? ids.Encode(h) : null, job.CreateTime, job.UpdateTime,
            job.State switch { JobState.Ok => 0, JobState.Error => 1, _ => null },
            job.Stderr ?? "", job.Info ?? "",
            Describe(job.InputDatasetId, "input"), Describe(job.OutputDatasetId, "output0"),
            job.Attempts, new JobProgress(job.BytesDone, job.BytesTotal, percent));
    }

    private static JobState ParseState(string state) =>
        Enum.TryParse<JobState>(state, ignoreCase: true, out var parsed) && !int.TryParse(state, out _)
            ? parsed
            : throw new RequestParameterInvalidException($"Unknown job state '{state}'. Use new, queued, running, ok, error or deleted.");
}
