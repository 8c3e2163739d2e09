using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Skyport.Server.Users;

namespace Skyport.Server.Jobs;

/// <summary>
/// A unit of background work. The row is the truth: workers claim it by a conditional update,
/// hold it with a lease they renew, and record progress on it so that work resumes after a crash.
/// </summary>
public sealed class Job
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public long? HistoryId { get; set; }
    public required string ToolId { get; set; }
    public JobState State { get; set; }
    /// <summary>The handler's parameters as JSON. Never holds a secret.</summary>
    public required string Parameters { get; set; }
    public long? OutputDatasetId { get; set; }
    public long? InputDatasetId { get; set; }
    /// <summary>How many times a worker has started this job.</summary>
    public int Attempts { get; set; }
    /// <summary>A queued job is not claimed before this time (retry back-off).</summary>
    public DateTime NotBefore { get; set; }
    public string? LeaseOwner { get; set; }
    public DateTime? LeaseExpiresAt { get; set; }
    /// <summary>Set when a user cancels: the worker holding the job stops at its next heartbeat.</summary>
    public bool CancelRequested { get; set; }
    public string? Stderr { get; set; }
    public string? Info { get; set; }
    public long BytesDone { get; set; }
    public long? BytesTotal { get; set; }
    /// <summary>Handler-specific checkpoint (JSON) that lets a restarted job skip finished work.</summary>
    public string? Checkpoint { get; set; }
    public DateTime CreateTime { get; set; }
    public DateTime UpdateTime { get; set; }
}

/// <summary>Galaxy's job states (the subset Skyport uses).</summary>
public enum JobState
{
    New,
    Queued,
    Running,
    Ok,
    Error,
    Deleted,
}

internal sealed class JobConfiguration : IEntityTypeConfiguration<Job>
{
    public void Configure(EntityTypeBuilder<Job> b)
    {
        b.ToTable("jobs");
        b.Property(j => j.ToolId).HasMaxLength(64);
        b.Property(j => j.State).HasMaxLength(16);
        b.Property(j => j.LeaseOwner).HasMaxLength(128);
        b.Property(j => j.Stderr).HasMaxLength(8192);
        b.Property(j => j.Info).HasMaxLength(8192);
        b.HasIndex(j => new { j.State, j.NotBefore });
        b.HasIndex(j => new { j.UserId, j.HistoryId });
        b.HasIndex(j => j.OutputDatasetId);
        b.HasOne<User>().WithMany().HasForeignKey(j => j.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
