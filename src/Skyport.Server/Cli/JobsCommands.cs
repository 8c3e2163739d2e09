using System.CommandLine;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using Skyport.Server.Galaxy;
using Skyport.Server.Jobs;

namespace Skyport.Server.Cli;

/// <summary><c>./skyport jobs list | cancel</c>: every user's jobs, as an administrator sees them.</summary>
internal static class JobsCommands
{
    public static Command Create(Option<string?> dataDir)
    {
        var state = new Option<string[]>("--state") { Description = "Only jobs in these states (new, queued, running, ok, error, deleted).", AllowMultipleArgumentsPerToken = true };
        var email = new Option<string?>("--user") { Description = "Only this user's jobs (email)." };
        var limit = new Option<int>("--limit") { Description = "Most recent jobs to show.", DefaultValueFactory = _ => 50 };
        var list = new Command("list", "List jobs, newest first.") { state, email, limit, dataDir };
        list.SetAction((result, ct) => SkyportCommandLine.WithServicesAsync(SkyportCommandLine.HostArgs(result, dataDir, null), async services =>
        {
            var db = services.GetRequiredService<SkyportDbContext>();
            var ids = services.GetRequiredService<IdEncoder>();
            var jobs = db.Jobs.AsNoTracking();
            var states = (result.GetValue(state) ?? []).Select(ParseState).ToList();
            if (states.Count > 0)
            {
                jobs = jobs.Where(j => states.Contains(j.State));
            }
            if (result.GetValue(email) is { } userEmail)
            {
                var lowered = userEmail.Trim().ToLowerInvariant();
                jobs = jobs.Where(j => db.Users.Any(u => u.Id == j.UserId && u.Email == lowered));
            }
            var rows = await jobs.OrderByDescending(j => j.Id).Take(Math.Max(1, result.GetValue(limit)))
                .Select(j => new { j.Id, j.State, j.ToolId, Email = db.Users.Where(u => u.Id == j.UserId).Select(u => u.Email).FirstOrDefault(), j.Attempts, j.BytesDone, j.BytesTotal, j.UpdateTime })
                .ToListAsync(ct);
            Console.WriteLine($"{"id",-16}  {"state",-8}  {"tool",-14}  {"user",-28}  attempts  {"progress",-8}  updated (UTC)");
            foreach (var j in rows)
            {
                var progress = j.BytesTotal is > 0 ? (100.0 * j.BytesDone / j.BytesTotal.Value).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "";
                Console.WriteLine($"{ids.Encode(j.Id),-16}  {j.State.ToString().ToLowerInvariant(),-8}  {j.ToolId,-14}  {j.Email,-28}  {j.Attempts,8}  {progress,-8}  {j.UpdateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}");
            }
        }, ct));

        var id = new Argument<string>("id") { Description = "The job's id (as `jobs list` and the API show it)." };
        var cancel = new Command("cancel", "Cancel a job; a worker in any process stops it at its next heartbeat.") { id, dataDir };
        cancel.SetAction((result, ct) => SkyportCommandLine.WithServicesAsync(SkyportCommandLine.HostArgs(result, dataDir, null), async services =>
        {
            var jobId = services.GetRequiredService<IdEncoder>().Decode(new EncodedId(result.GetValue(id)!), "job id");
            var db = services.GetRequiredService<SkyportDbContext>();
            var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == jobId, ct) ?? throw new ObjectNotFoundException("Job not found.");
            var cancelled = await services.GetRequiredService<JobCancellation>().CancelAsync(job.Id, ct);
            Console.WriteLine(cancelled
                ? $"Job {result.GetValue(id)} cancelled."
                : $"Job {result.GetValue(id)} had already finished ({job.State.ToString().ToLowerInvariant()}); nothing to cancel.");
        }, ct));

        return new Command("jobs", "Inspect and cancel jobs.") { list, cancel };
    }

    private static JobState ParseState(string state) =>
        Enum.TryParse<JobState>(state, ignoreCase: true, out var parsed) && !int.TryParse(state, out _)
            ? parsed
            : throw new RequestParameterInvalidException($"Unknown job state '{state}'. Use new, queued, running, ok, error or deleted.");
}
