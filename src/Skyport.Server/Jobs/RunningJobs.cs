using System.Collections.Concurrent;

namespace Skyport.Server.Jobs;

/// <summary>The jobs this process is running, so that a cancel arriving here stops them at once rather than at the next heartbeat.</summary>
public sealed class RunningJobs(TimeProvider clock)
{
    /// <summary>How long a cancel for a job not (yet) running here is remembered: a worker may have claimed it and not registered it yet.</summary>
    private static readonly TimeSpan Remembered = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();
    private readonly ConcurrentDictionary<long, DateTimeOffset> _cancelledBeforeRegistration = new();

    /// <summary>Registers a job a worker of this process has claimed; a cancel that came since the claim stops it at once.</summary>
    public IDisposable Register(long jobId, CancellationTokenSource cancellation)
    {
        _running[jobId] = cancellation;
        if (_cancelledBeforeRegistration.TryRemove(jobId, out _))
        {
            cancellation.Cancel();
        }
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
            return;
        }
        var now = clock.GetUtcNow();
        _cancelledBeforeRegistration[jobId] = now;
        foreach (var (id, at) in _cancelledBeforeRegistration)
        {
            if (now - at > Remembered)
            {
                _cancelledBeforeRegistration.TryRemove(id, out _);
            }
        }
        // Registered between the first look and the note: stop it here, since Register may have looked before the note.
        if (_running.TryGetValue(jobId, out var registered) && _cancelledBeforeRegistration.TryRemove(jobId, out _))
        {
            try
            {
                registered.Cancel();
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
