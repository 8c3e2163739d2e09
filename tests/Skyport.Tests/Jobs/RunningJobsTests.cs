using Skyport.Server.Jobs;

namespace Skyport.Tests.Jobs;

/// <summary>A cancel can reach this process after a worker claimed the job and before it registered it to be stoppable.</summary>
public class RunningJobsTests
{
    [Fact]
    public void Cancel_OfARegisteredJob_StopsIt()
    {
        var running = new RunningJobs(new ManualClock());
        using var job = new CancellationTokenSource();
        using var registration = running.Register(7, job);

        running.Cancel(7);

        Assert.True(job.IsCancellationRequested);
    }

    [Fact]
    public void Cancel_BeforeTheClaimedJobIsRegistered_StopsItWhenRegistered()
    {
        var running = new RunningJobs(new ManualClock());
        running.Cancel(7);
        using var job = new CancellationTokenSource();

        using var registration = running.Register(7, job);

        Assert.True(job.IsCancellationRequested);
    }

    [Fact]
    public void Cancel_OfAnotherJob_LeavesARegisteredJobRunning()
    {
        var running = new RunningJobs(new ManualClock());
        running.Cancel(8);
        using var job = new CancellationTokenSource();

        using var registration = running.Register(7, job);

        Assert.False(job.IsCancellationRequested);
        Assert.True(running.IsRunning(7));
    }

    [Fact]
    public void Cancel_NotFollowedByARegistration_IsForgottenAfterAMinute()
    {
        var clock = new ManualClock();
        var running = new RunningJobs(clock);
        running.Cancel(7);
        clock.Advance(TimeSpan.FromMinutes(2));
        running.Cancel(9); // forgetting happens as later cancels come in
        using var job = new CancellationTokenSource();

        using var registration = running.Register(7, job);

        Assert.False(job.IsCancellationRequested);
    }

    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = new(2026, 11, 26, 6, 0, 0, TimeSpan.Zero);

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
