using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Skyport.Server.Histories;

namespace Skyport.Server.Datasets;

/// <summary>
/// A dataset in a history (Galaxy's HistoryDatasetAssociation and its Dataset in one row: Skyport
/// never shares one file between histories). Its bytes live in dataset storage under <see cref="Uuid"/>.
/// </summary>
public sealed class Dataset
{
    public long Id { get; set; }
    public long HistoryId { get; set; }
    public int Hid { get; set; }
    public required string Name { get; set; }
    public DatasetState State { get; set; }
    public required string Extension { get; set; }
    public required string Dbkey { get; set; }
    public long FileSize { get; set; }
    public string? Md5 { get; set; }
    public string? Sha256 { get; set; }
    public Guid Uuid { get; set; }
    public string? MiscInfo { get; set; }
    public string? MiscBlurb { get; set; }
    public string? Peek { get; set; }
    public bool Deleted { get; set; }
    public bool Purged { get; set; }
    public bool Visible { get; set; } = true;
    public DateTime CreateTime { get; set; }
    public DateTime UpdateTime { get; set; }
}

/// <summary>Galaxy's dataset states (the subset Skyport uses).</summary>
public enum DatasetState
{
    New,
    Queued,
    Running,
    Ok,
    Error,
    Discarded,
}

internal sealed class DatasetConfiguration : IEntityTypeConfiguration<Dataset>
{
    public void Configure(EntityTypeBuilder<Dataset> b)
    {
        b.ToTable("datasets");
        b.Property(d => d.Name).HasMaxLength(1024);
        b.Property(d => d.Extension).HasMaxLength(64);
        b.Property(d => d.Dbkey).HasMaxLength(64);
        b.Property(d => d.Md5).HasMaxLength(32);
        b.Property(d => d.Sha256).HasMaxLength(64);
        b.Property(d => d.MiscInfo).HasMaxLength(4096);
        b.Property(d => d.MiscBlurb).HasMaxLength(255);
        b.Property(d => d.Peek).HasMaxLength(8192);
        b.Property(d => d.State).HasMaxLength(16);
        b.HasIndex(d => new { d.HistoryId, d.Hid }).IsUnique();
        b.HasIndex(d => d.Uuid).IsUnique();
        b.HasOne<History>().WithMany().HasForeignKey(d => d.HistoryId).OnDelete(DeleteBehavior.Cascade);
    }
}
