using Microsoft.Extensions.Options;
using Npgsql;
using Skyport.Server.Data;

namespace Skyport.Server.Jobs;

/// <summary>
/// Cross-process wake-ups on PostgreSQL. A trigger on the jobs table (see the PostgreSQL migrations) sends a
/// notification whenever a job becomes queued, in whichever process queued it; this listener turns each into
/// a <see cref="JobSignal"/> wake-up for this process's idle workers, so they need not wait for their poll.
/// Still only a hint: if the connection drops, workers fall back on polling until it is back.
/// </summary>
internal sealed class PostgresJobWakeups(
    IOptions<DatabaseOptions> database,
    IOptions<JobsOptions> jobs,
    JobSignal signal,
    TimeProvider clock,
    ILogger<PostgresJobWakeups> logger) : BackgroundService
{
    public const string Channel = "skyport_jobs";
    private static readonly TimeSpan ReconnectDelay = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!database.Value.IsPostgres || jobs.Value.Workers == 0)
        {
            return;
        }
        var connectionString = new NpgsqlConnectionStringBuilder(database.Value.ConnectionString) { Pooling = false, KeepAlive = 30 }.ToString();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(connectionString);
                connection.Notification += (_, _) => signal.Notify();
                await connection.OpenAsync(stoppingToken);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                // Jobs queued while nobody here was listening.
                signal.Notify(jobs.Value.Workers);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Listening for queued jobs failed; workers poll until the connection is back");
                try
                {
                    await Task.Delay(ReconnectDelay, clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
