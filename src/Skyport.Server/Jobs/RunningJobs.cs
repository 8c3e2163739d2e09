using System.Collections.Concurrent;

namespace Skyport.Server.Jobs;

/// <summary>The jobs this process is running, so that a cancel arriving here stops them at once rather than at the next heartbeat.</summary>
public sealed class RunningJobs
{
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();

    public IDisposable Register(long jobId, CancellationTokenSource cancellation)
    {
        _running[jobId] = cancellation;
        return new Registration(this, jobId);
    }

    public void Cancel(long jobId)
    {
        if (_running.TryGetValue(jobId, out var cancellation))
        {
            try
            {
                cancellation.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    public int Count => _running.Count;

    /// <summary>True while a worker of this process runs the job, including the cleanup after it is stopped.</summary>
    public bool IsRunning(long jobId) => _running.ContainsKey(jobId);

    private sealed class Registration(RunningJobs owner, long jobId) : IDisposable
    {
        public void Dispose() => owner._running.TryRemove(jobId, out _);
    }
}
