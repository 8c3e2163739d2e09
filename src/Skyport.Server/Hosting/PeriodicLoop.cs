namespace Skyport.Server.Hosting;

/// <summary>Background housekeeping: run now, then every interval, until the host stops; a failed round is logged, not fatal.</summary>
public static class PeriodicLoop
{
    public static async Task RunAsync(TimeSpan interval, TimeProvider clock, ILogger logger, string what,
        Func<CancellationToken, Task> round, CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(interval, clock);
        do
        {
            try
            {
                await round(stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "{What} failed; trying again in {Interval}", what, interval);
            }
        }
        while (await NextAsync(timer, stopping));
    }

    private static async Task<bool> NextAsync(PeriodicTimer timer, CancellationToken stopping)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stopping);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
