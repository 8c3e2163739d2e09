using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Skyport.Server.Data;

/// <summary>
/// Per-connection SQLite settings. In WAL mode <c>synchronous=NORMAL</c> keeps the database consistent
/// through crashes and power loss and only risks the very last commits on power loss, instead of an
/// fsync per commit. What must not be lost is safe regardless: dataset bytes are flushed to disk before
/// a dataset is marked ok, and a job whose final state was lost is taken up again when its lease expires.
/// </summary>
internal sealed class SqliteConnectionSettings : DbConnectionInterceptor
{
    private const string Pragmas = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
