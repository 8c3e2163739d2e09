using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace Skyport.Server.Data;

/// <summary>
/// A statement run straight on the context's connection, for the few that every job runs (its claim, its output marked
/// running and then ok, the job marked ok): through EF Core's raw-SQL methods each cost more to build than the database
/// took to run it, a visible share of a small transfer's CPU. Values are always parameters (<c>@name</c> in the SQL),
/// and a <see cref="DateTime"/> is written as the provider stores it (SQLite: <see cref="SqliteTimestampConverter"/>'s
/// text, so comparisons in SQL see the same strings as EF Core writes).
/// </summary>
internal static class DbStatements
{
    /// <returns>The number of rows changed.</returns>
    public static async Task<int> ExecuteAsync(this SkyportDbContext db, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = Command(db, sql, parameters);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <returns>The first column of the first row, or null when there is none.</returns>
    public static async Task<object?> ScalarAsync(this SkyportDbContext db, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = Command(db, sql, parameters);
            return await command.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull ? value : null;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <returns>The first column of every row, read as 64-bit integers (ids a statement returns).</returns>
    public static async Task<List<long>> IdsAsync(this SkyportDbContext db, string sql, CancellationToken cancellationToken,
        params (string Name, object? Value)[] parameters)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = Command(db, sql, parameters);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var ids = new List<long>();
            while (await reader.ReadAsync(cancellationToken))
            {
                ids.Add(reader.GetInt64(0));
            }
            return ids;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static DbCommand Command(SkyportDbContext db, string sql, (string Name, object? Value)[] parameters)
    {
        var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        var sqlite = !db.Database.IsNpgsql();
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value switch
            {
                null => DBNull.Value,
                DateTime time when sqlite => SqliteTimestampConverter.Format(time),
                DateTime time => time.Kind == DateTimeKind.Utc ? time : time.ToUniversalTime(),
                _ => value,
            };
            command.Parameters.Add(parameter);
        }
        return command;
    }
}
