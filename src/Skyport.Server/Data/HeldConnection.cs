using Microsoft.EntityFrameworkCore;

namespace Skyport.Server.Data;

/// <summary>
/// Keeps a context's SQLite connection open across several statements: a job worker holds it from a job's claim to its
/// ok outcome (<see cref="Jobs.JobWorkerPool"/>). EF Core otherwise opens and closes
/// the connection around each statement, and on SQLite every open registers EF Core's SQL functions on the handle and
/// every close removes them again: for a small transfer that was a larger share of CPU than the statements themselves.
/// On PostgreSQL nothing is held: an open there is a cheap rent from Npgsql's pool, and holding would keep a server
/// connection idle through each transfer.
/// </summary>
internal static class HeldConnection
{
    /// <returns>Closes the connection again (unless something else still holds it open) when disposed.</returns>
    public static async Task<IAsyncDisposable> HoldConnectionAsync(this SkyportDbContext db, CancellationToken cancellationToken)
    {
        if (!db.Database.IsSqlite())
        {
            return Nothing.Instance;
        }
        await db.Database.OpenConnectionAsync(cancellationToken);
        return new Release(db);
    }

    private sealed class Release(SkyportDbContext db) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await db.Database.CloseConnectionAsync();
    }

    private sealed class Nothing : IAsyncDisposable
    {
        public static readonly Nothing Instance = new();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
