using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Skyport.Server.Data;

/// <summary>
/// Per-connection SQLite settings.
/// <list type="bullet">
/// <item>In WAL mode <c>synchronous=NORMAL</c> keeps the database consistent through crashes and power loss and only
/// risks the very last commits on power loss, instead of an fsync per commit. What must not be lost is safe regardless:
/// dataset bytes are flushed to disk before a dataset is marked ok, and a job whose final state was lost is taken up
/// again when its lease expires.</item>
/// <item><c>busy_timeout</c>: a writer that finds another one committing waits in SQLite's own busy handler, which
/// retries within a millisecond or two. Without it SQLite answers "busy" at once and Microsoft.Data.Sqlite retries
/// only after sleeping 150 ms, blocking its thread: with several job workers writing, that sleep was most of a small
/// transfer's time. The wait is bounded by the connection's <c>Default Timeout</c>, as Microsoft.Data.Sqlite's own retries are.</item>
/// </list>
/// </summary>
internal sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas(connection);
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas(connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Pragmas(DbConnection connection)
    {
        var timeoutSeconds = connection is SqliteConnection sqlite ? sqlite.DefaultTimeout : 30;
        var busyTimeout = timeoutSeconds <= 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, timeoutSeconds * 1000L);
        return $"PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={busyTimeout};";
    }
}
