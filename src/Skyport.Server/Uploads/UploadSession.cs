using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Skyport.Server.Users;

namespace Skyport.Server.Uploads;

/// <summary>
/// A TUS upload in progress. The bytes received so far are the session's file in the upload
/// folder; its length is the TUS offset, so nothing here can disagree with the disk.
/// </summary>
public sealed class UploadSession
{
    /// <summary>Random, 32 hex characters: the last segment of the TUS location, and Galaxy's <c>session_id</c>.</summary>
    public required string Id { get; set; }
    public long UserId { get; set; }
    public long Length { get; set; }
    public string? Filename { get; set; }
    public DateTime CreateTime { get; set; }
    public DateTime ExpiresAt { get; set; }
}

internal sealed class UploadSessionConfiguration : IEntityTypeConfiguration<UploadSession>
{
    public void Configure(EntityTypeBuilder<UploadSession> b)
    {
        b.ToTable("upload_sessions");
        b.Property(s => s.Id).HasMaxLength(32);
        b.Property(s => s.Filename).HasMaxLength(1024);
        b.HasIndex(s => s.ExpiresAt);
        b.HasOne<User>().WithMany().HasForeignKey(s => s.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
