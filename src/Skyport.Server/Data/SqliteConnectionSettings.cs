using System.Data.Common;
using System.Runtime.CompilerServices;
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
/// The settings belong to SQLite's connection handle, which Microsoft.Data.Sqlite's pool keeps open across
/// <c>Open</c> and <c>Close</c>, so they are applied once per handle: EF Core opens a connection for each statement,
/// and preparing and running the three pragmas every time was a visible share of a small transfer's CPU.
/// Nothing else in Skyport sets these pragmas (EF Core's migrations switch foreign keys off during a table rebuild and
/// back on after it).
/// </summary>
internal sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    private static readonly ConditionalWeakTable<object, object> Configured = [];
    private static readonly object Marker = new();

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (!IsConfigured(connection))
        {
            using var command = connection.CreateCommand();
            command.CommandText = Pragmas(connection);
            command.ExecuteNonQuery();
            MarkConfigured(connection);
        }
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (!IsConfigured(connection))
        {
            await using var command = connection.CreateCommand();
            command.CommandText = Pragmas(connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
            MarkConfigured(connection);
        }
    }

    private static bool IsConfigured(DbConnection connection) =>
        connection is SqliteConnection { Handle: { } handle } && Configured.TryGetValue(handle, out _);

    private static void MarkConfigured(DbConnection connection)
    {
        if (connection is SqliteConnection { Handle: { } handle })
        {
            Configured.AddOrUpdate(handle, Marker);
        }
    }

    private static string Pragmas(DbConnection connection)
    {
        var timeoutSeconds = connection is SqliteConnection sqlite ? sqlite.DefaultTimeout : 30;
        var busyTimeout = timeoutSeconds <= 0 ? int.MaxValue : (int)Math.Min(int.MaxValue, timeoutSeconds * 1000L);
        return $"PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout={busyTimeout};";
    }
}
