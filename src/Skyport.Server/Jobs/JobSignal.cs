namespace Skyport.Server.Jobs;

/// <summary>
/// Wakes this process's idle workers when a job is queued here. Only a hint: the job rows are the
/// truth, and workers also poll for jobs queued by other processes.
/// </summary>
public sealed class JobSignal
{
    private readonly SemaphoreSlim _pending = new(0, int.MaxValue);

    public void Notify(int jobs = 1) => _pending.Release(Math.Max(1, jobs));

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _pending.WaitAsync(timeout, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
