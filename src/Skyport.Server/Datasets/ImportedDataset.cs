using Skyport.Server.Data;

namespace Skyport.Server.Datasets;

/// <summary>
/// A dataset whose bytes an import has committed to the dataset store, with what its row will say once it is <c>ok</c>.
/// The job runner marks it ok in the same transaction as the job (<see cref="Jobs.JobContext.OutputImported"/>), so the
/// dataset and its job become ok together or not at all.
/// </summary>
public sealed record ImportedDataset(long Id, Guid Uuid, string Extension, CopyResult Hashes, string? Peek, string Blurb)
{
    public const string DiscardedMessage = "The dataset was discarded while it was being imported.";

    /// <summary>
    /// Marks the dataset ok, unless it was discarded (its job cancelled) or purged meanwhile: then nothing changes and the
    /// caller removes its bytes.
    /// </summary>
    /// <returns>Whether the row was marked ok.</returns>
    internal async Task<bool> MarkOkAsync(SkyportDbContext db, DateTime now)
    {
        // Straight to the connection, like the job runner's own per-job statements: through EF Core this update cost
        // more to build than to run.
        var updated = await db.ExecuteAsync($"""
            UPDATE datasets SET "State" = '{nameof(DatasetState.Ok)}', "Extension" = @extension, "FileSize" = @size,
                "Md5" = @md5, "Sha256" = @sha256, "Peek" = @peek, "MiscBlurb" = @blurb, "MiscInfo" = NULL, "UpdateTime" = @now
            WHERE "Id" = @id AND "State" <> '{nameof(DatasetState.Discarded)}' AND NOT "Purged"
            """, CancellationToken.None, ("extension", Extension), ("size", Hashes.Length), ("md5", Hashes.Md5),
            ("sha256", Hashes.Sha256), ("peek", Peek), ("blurb", Blurb), ("now", now), ("id", Id));
        return updated == 1;
    }
}
