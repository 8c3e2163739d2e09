using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Skyport.Server.Data;

/// <summary>
/// Inserts many new rows of one entity type through one statement, <c>INSERT ... RETURNING</c> its key, and sets each
/// entity's generated key: on SQLite prepared once and run per row, on PostgreSQL sent in batches of rows (one round
/// trip each). For the requests that create rows per object: a cloud get of
/// 1,000 objects inserts 1,000 datasets and 1,000 jobs, and through <c>SaveChanges</c> EF Core built, prepared and
/// tracked a command for each row, which cost more than SQLite took to store them.
/// Columns, parameters and value conversions are EF Core's own (<see cref="RelationalTypeMapping.CreateParameter"/>),
/// so a row stored here reads back through the model exactly as one saved by EF Core. The entities are not tracked.
/// Runs in the context's current transaction, which callers open so that a request's rows are all stored or none.
/// </summary>
internal static class RowInserter
{
    private const int BatchRows = 100;

    public static async Task InsertAsync<TEntity>(this SkyportDbContext db, IReadOnlyList<TEntity> rows, CancellationToken cancellationToken)
        where TEntity : class
    {
        if (rows.Count == 0)
        {
            return;
        }
        var entityType = db.Model.FindEntityType(typeof(TEntity)) ?? throw new InvalidOperationException($"{typeof(TEntity).Name} is not in the model.");
        var table = StoreObjectIdentifier.Table(entityType.GetTableName()!, entityType.GetSchema());
        var key = entityType.FindPrimaryKey()!.Properties.Single();
        var columns = entityType.GetProperties().Where(p => p != key).ToArray();
        // What SaveChanges would handle differently: a key the application assigns, values the database fills in, values
        // the entity does not hold. None of the entities inserted here has them; a model change that adds one fails loudly.
        var unsupported = columns.FirstOrDefault(c => c.IsShadowProperty() || c.GetDefaultValueSql() is not null
            || c.TryGetDefaultValue(out _) || c.GetComputedColumnSql() is not null);
        if (key.ValueGenerated != ValueGenerated.OnAdd || unsupported is not null)
        {
            throw new NotSupportedException(
                $"{typeof(TEntity).Name}.{unsupported?.Name ?? key.Name} is not stored by RowInserter as SaveChanges would store it.");
        }
        var sql = db.GetService<ISqlGenerationHelper>();
        var names = columns.Select((_, i) => sql.GenerateParameterName($"p{i}")).ToArray();
        var mappings = columns.Select(c => c.GetRelationalTypeMapping()).ToArray();

        var insert = $"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} "
            + $"({string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.GetColumnName(table)!)))}) "
            + $"VALUES ({string.Join(", ", names)}) RETURNING {sql.DelimitIdentifier(key.GetColumnName(table)!)}";

        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            var connection = db.Database.GetDbConnection();
            var transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            // Values become parameters exactly as EF Core makes them (conversions, provider types).
            await using var parameters = connection.CreateCommand();
            void Bind(DbParameterCollection into, TEntity row)
            {
                for (var i = 0; i < columns.Length; i++)
                {
                    into.Add(mappings[i].CreateParameter(parameters, names[i], columns[i].GetGetter().GetClrValue(row), columns[i].IsNullable));
                }
            }
            void SetKey(TEntity row, object? id) =>
                key.PropertyInfo!.SetValue(row, Convert.ChangeType(id, key.ClrType, System.Globalization.CultureInfo.InvariantCulture));

            if (connection.CanCreateBatch)
            {
                // PostgreSQL: a round trip per row cost more than EF Core's batched SaveChanges; a batch carries many rows.
                foreach (var chunk in rows.Chunk(BatchRows))
                {
                    await using var batch = connection.CreateBatch();
                    batch.Transaction = transaction;
                    foreach (var row in chunk)
                    {
                        var command = batch.CreateBatchCommand();
                        command.CommandText = insert;
                        Bind(command.Parameters, row);
                        batch.BatchCommands.Add(command);
                    }
                    await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
                    foreach (var row in chunk)
                    {
                        if (!await reader.ReadAsync(cancellationToken))
                        {
                            throw new InvalidOperationException($"An insert into {table.Name} returned no key.");
                        }
                        SetKey(row, reader.GetValue(0));
                        await reader.NextResultAsync(cancellationToken);
                    }
                }
                return;
            }
            // SQLite (no batches): the statement is prepared once and run per row, in process.
            await using var statement = connection.CreateCommand();
            statement.Transaction = transaction;
            statement.CommandText = insert;
            foreach (var row in rows)
            {
                statement.Parameters.Clear();
                Bind(statement.Parameters, row);
                SetKey(row, await statement.ExecuteScalarAsync(cancellationToken));
            }
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }
}
