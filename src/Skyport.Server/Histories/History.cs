using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Skyport.Server.Users;

namespace Skyport.Server.Histories;

public sealed class History
{
    public long Id { get; set; }
    public long UserId { get; set; }
    public required string Name { get; set; }
    public string? Annotation { get; set; }
    /// <summary>The last hid handed out; items get hids 1, 2, 3... in creation order, as in Galaxy.</summary>
    public int HidCounter { get; set; }
    public bool Deleted { get; set; }
    public bool Purged { get; set; }
    public DateTime CreateTime { get; set; }
    public DateTime UpdateTime { get; set; }
}

internal sealed class HistoryConfiguration : IEntityTypeConfiguration<History>
{
    public void Configure(EntityTypeBuilder<History> b)
    {
        b.ToTable("histories");
        b.Property(h => h.Name).HasMaxLength(255);
        b.Property(h => h.Annotation).HasMaxLength(4096);
        b.HasIndex(h => new { h.UserId, h.Deleted, h.UpdateTime });
        b.HasOne<User>().WithMany().HasForeignKey(h => h.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
