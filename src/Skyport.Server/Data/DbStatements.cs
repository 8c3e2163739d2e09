using System.Data;
using System.Data.Common;
using System.Runtime.CompilerServices;
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
/// <remarks>
/// On SQLite a statement stays prepared while its connection is open (<see cref="PreparedCommands"/>): a job worker holds
/// the connection through a batch of jobs (<see cref="HeldConnection"/>), whose every job runs the same statements, and
/// compiling the SQL again each time was most of what SQLite spent on them.
/// </remarks>
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
            return await command.Value.ExecuteNonQueryAsync(cancellationToken);
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
            return await command.Value.ExecuteScalarAsync(cancellationToken) is { } value and not DBNull ? value : null;
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
            await using var reader = await command.Value.ExecuteReaderAsync(cancellationToken);
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

    private static Lease Command(SkyportDbContext db, string sql, (string Name, object? Value)[] parameters)
    {
        var connection = db.Database.GetDbConnection();
        var sqlite = !db.Database.IsNpgsql();
        var lease = sqlite ? PreparedCommands.For(connection).Rent(sql) : new Lease(connection.CreateCommand(), Owned: true);
        var command = lease.Value;
        command.CommandText = sql;
        command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
        command.Parameters.Clear();
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
        return lease;
    }

    /// <summary>A command to run once: disposed after it when <paramref name="Owned"/>, otherwise kept prepared for the next run.</summary>
    private readonly record struct Lease(DbCommand Value, bool Owned) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Owned ? Value.DisposeAsync() : ValueTask.CompletedTask;
    }

    /// <summary>
    /// One open SQLite connection's commands by SQL text, each keeping its compiled statement between runs. Closing the
    /// connection disposes its commands (Microsoft.Data.Sqlite finalizes their statements), so the set is dropped then and
    /// starts empty when the connection opens again.
    /// </summary>
    private sealed class PreparedCommands
    {
        private static readonly ConditionalWeakTable<DbConnection, PreparedCommands> ByConnection = new();
        private readonly DbConnection _connection;
        private readonly Dictionary<string, DbCommand> _commands = new(StringComparer.Ordinal);

        private PreparedCommands(DbConnection connection)
        {
            _connection = connection;
            connection.StateChange += (_, change) =>
            {
                if (change.CurrentState != ConnectionState.Open)
                {
                    _commands.Clear();
                }
            };
        }

        public static PreparedCommands For(DbConnection connection) => ByConnection.GetValue(connection, c => new PreparedCommands(c));

        /// <remarks>A context runs one statement at a time (EF Core's rule too), so one command per SQL text is enough.</remarks>
        public Lease Rent(string sql)
        {
            if (!_commands.TryGetValue(sql, out var command))
            {
                command = _connection.CreateCommand();
                _commands.Add(sql, command);
            }
            return new Lease(command, Owned: false);
        }
    }
}
