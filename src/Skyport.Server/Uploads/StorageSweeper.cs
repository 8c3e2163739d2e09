using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;
using Skyport.Server.Data;
using Skyport.Server.Hosting;
using Skyport.Server.Jobs;

namespace Skyport.Server.Uploads;

/// <summary>
/// Removes what nothing will use again: expired upload sessions (row and file), session files whose
/// job has finished without consuming them, and temporary files left by a crash. Runs at start and
/// then every half hour; everything is judged by age, so several processes sharing one data folder
/// never remove each other's work in progress.
/// </summary>
internal sealed class StorageSweeper(
    IServiceScopeFactory scopes,
    DataDirectory data,
    IOptions<UploadOptions> options,
    TimeProvider clock,
    ILogger<StorageSweeper> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(30);
    /// <summary>Temporary files are written continuously while in use; one this old belongs to no live job.</summary>
    internal static readonly TimeSpan TempFileMaxAge = TimeSpan.FromDays(2);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        PeriodicLoop.RunAsync(Interval, clock, logger, "Sweeping expired uploads and temporary files", SweepAsync, stoppingToken);

    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
        var now = clock.GetUtcNow().UtcDateTime;

        var expired = await db.UploadSessions.Where(s => s.ExpiresAt < now).Select(s => s.Id).ToListAsync(cancellationToken);
        foreach (var id in expired)
        {
            await db.UploadSessions.Where(s => s.Id == id).ExecuteDeleteAsync(cancellationToken);
            TryDelete(Path.Combine(data.Uploads, id));
        }

        // Files of claimed sessions have no row; they stay while an unfinished job still names them.
        var cutoff = now - TimeSpan.FromHours(options.Value.SessionHours);
        var orphans = 0;
        foreach (var file in new DirectoryInfo(data.Uploads).EnumerateFiles())
        {
            if (file.LastWriteTimeUtc >= cutoff || await db.UploadSessions.AnyAsync(s => s.Id == file.Name, cancellationToken))
            {
                continue;
            }
            var pattern = $"%{file.Name}%";
            var stillWanted = await db.Jobs.AnyAsync(j => (j.State == JobState.New || j.State == JobState.Queued || j.State == JobState.Running)
                && EF.Functions.Like(j.Parameters, pattern), cancellationToken);
            if (!stillWanted && TryDelete(file.FullName))
            {
                orphans++;
            }
        }

        var temporaries = new DirectoryInfo(data.Temp).EnumerateFiles()
            .Where(f => f.LastWriteTimeUtc < now - TempFileMaxAge)
            .Count(f => TryDelete(f.FullName));

        if (expired.Count + orphans + temporaries > 0)
        {
            logger.LogInformation("Swept {Expired} expired upload sessions, {Orphans} unused upload files and {Temporaries} stale temporary files",
                expired.Count, orphans, temporaries);
        }
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
