using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Skyport.Server.Data;
using SQLitePCL;

namespace Skyport.Server.Datasets;

/// <summary>
/// SQLite only: a history's contents rows read through SQLite's own statement API. EF Core and Microsoft.Data.Sqlite
/// check each column's type before reading it and build a string for every state and timestamp; a listing of 10,000
/// datasets reads 110,000 values, and those per-value costs were most of its time. Here each value is one call, states
/// and timestamps are decoded from their UTF-8 bytes, and only names and extensions become strings. The query is the
/// one <see cref="DatasetsService"/> runs through EF Core on PostgreSQL; a test holds the two readers equal.
/// </summary>
internal static class SqliteContentsReader
{
    private static readonly (byte[] Name, DatasetState State)[] States =
        Enum.GetValues<DatasetState>().Select(s => (Encoding.UTF8.GetBytes(s.ToString()), s)).ToArray();

    public static async IAsyncEnumerable<DatasetContentRow> ReadAsync(SkyportDbContext db, long historyId, bool? deleted, bool? visible,
        int offset, int limit, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("""
            SELECT "Id", "Hid", "Name", "State", "Extension", "FileSize", "Deleted", "Purged", "Visible", "CreateTime", "UpdateTime"
            FROM datasets WHERE "HistoryId" = ?1
            """);
        if (deleted is not null)
        {
            sql.Append(""" AND "Deleted" = ?2""");
        }
        if (visible is not null)
        {
            sql.Append(""" AND "Visible" = ?3""");
        }
        sql.Append(""" ORDER BY "Hid" LIMIT ?4 OFFSET ?5""");

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = ((SqliteConnection)db.Database.GetDbConnection()).Handle!;
            Check(raw.sqlite3_prepare_v2(connection, sql.ToString(), out var statement), connection);
            using (statement)
            {
                Check(raw.sqlite3_bind_int64(statement, 1, historyId), connection);
                if (deleted is { } d)
                {
                    Check(raw.sqlite3_bind_int(statement, 2, d ? 1 : 0), connection);
                }
                if (visible is { } v)
                {
                    Check(raw.sqlite3_bind_int(statement, 3, v ? 1 : 0), connection);
                }
                Check(raw.sqlite3_bind_int64(statement, 4, limit), connection);
                Check(raw.sqlite3_bind_int64(statement, 5, offset), connection);
                using var reader = new SqliteStatementReader(statement);
                while (true)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var step = reader.Step();
                    if (step == raw.SQLITE_DONE)
                    {
                        break;
                    }
                    if (step != raw.SQLITE_ROW)
                    {
                        SqliteException.ThrowExceptionForRC(step, connection);
                    }
                    yield return Row(reader);
                }
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static DatasetContentRow Row(SqliteStatementReader row) => new(
        row.Int64(0),
        row.Int32(1),
        Encoding.UTF8.GetString(row.Bytes(2)),
        State(row.Bytes(3)),
        Encoding.UTF8.GetString(row.Bytes(4)),
        row.Int64(5),
        row.Int32(6) != 0,
        row.Int32(7) != 0,
        row.Int32(8) != 0,
        SqliteTimestampConverter.ParseUtf8(row.Bytes(9)),
        SqliteTimestampConverter.ParseUtf8(row.Bytes(10)));

    private static DatasetState State(ReadOnlySpan<byte> stored)
    {
        foreach (var (name, state) in States)
        {
            if (stored.SequenceEqual(name))
            {
                return state;
            }
        }
        throw new InvalidDataException($"Unknown dataset state '{Encoding.UTF8.GetString(stored)}' in the database.");
    }

    private static void Check(int result, sqlite3 connection)
    {
        if (result != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(result, connection);
        }
    }
}
