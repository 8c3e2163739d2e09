using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace Skyport.Server.Data;

/// <summary>A named value every process of a site must agree on (e.g. the id-encoding secret on PostgreSQL).</summary>
public sealed class Setting
{
    public required string Name { get; set; }
    public required string Value { get; set; }
}

internal sealed class SettingConfiguration : IEntityTypeConfiguration<Setting>
{
    public void Configure(EntityTypeBuilder<Setting> b)
    {
        b.ToTable("settings");
        b.HasKey(s => s.Name);
        b.Property(s => s.Name).HasMaxLength(64);
        b.Property(s => s.Value).HasMaxLength(4096);
    }
}
