using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Data;
using Skyport.Server.Datasets;
using Skyport.Server.Histories;
using Skyport.Server.Jobs;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.ScaleOut;

/// <summary>Behaviour that providers would otherwise differ on (string matching), checked on both.</summary>
public sealed class ProviderParityTests
{
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task HistoryNameContains_IgnoresCase_AndTakesWildcardsLiterally(DatabaseProvider database)
    {
        await using var server = await SkyportServer.StartAsync(database: database);
        using var client = await server.NewUserAsync();
        await client.CreateHistoryAsync("Alpha Reads");
        await client.CreateHistoryAsync("rate 50%_x");
        await client.CreateHistoryAsync("rate 50ab");

        Assert.Equal(["Alpha Reads"], await NamesAsync(client, "ALPHA"));
        Assert.Equal(["rate 50%_x"], await NamesAsync(client, Uri.EscapeDataString("50%_")));
        Assert.Equal(2, (await NamesAsync(client, "RATE")).Count);
    }

    // One instance for both providers, as in the server (a static field): each run compiles it for its own model.
    private static readonly CompiledQuery<Func<SkyportDbContext, long, CancellationToken, Task<History>>> HistoryById = new(() =>
        EF.CompileAsyncQuery((SkyportDbContext db, long id, CancellationToken _) => db.Histories.AsNoTracking().Single(h => h.Id == id)));

    /// <summary>
    /// Statements sent straight to the connection (the per-job ones) store timestamps and nulls as EF Core reads them and
    /// compare timestamps as the model stores them; one compiled query serves either provider's model in one process.
    /// </summary>
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task DirectStatements_StoreWhatTheModelReads_AndCompiledQueriesServeEitherModel(DatabaseProvider database)
    {
        await using var store = await StoreWithHistoryAsync(database, "before");
        var (db, id) = (store.Db, store.History.Id);
        var time = new DateTime(2031, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddTicks(123_450); // whole microseconds: PostgreSQL's precision

        var changed = await db.ExecuteAsync("""UPDATE histories SET "Name" = @name, "Annotation" = @annotation, "UpdateTime" = @time WHERE "Id" = @id""",
            CancellationToken.None, ("name", "after"), ("annotation", null), ("time", time), ("id", id));

        Assert.Equal(1, changed);
        var stored = await HistoryById.For(db)(db, id, CancellationToken.None);
        Assert.Equal(("after", (string?)null, time, DateTimeKind.Utc), (stored.Name, stored.Annotation, stored.UpdateTime, stored.UpdateTime.Kind));
        const string countUpTo = """SELECT COUNT(*) FROM histories WHERE "Id" = @id AND "UpdateTime" <= @time""";
        Assert.Equal(1L, Convert.ToInt64(await db.ScalarAsync(countUpTo, CancellationToken.None, ("id", id), ("time", time))));
        Assert.Equal(0L, Convert.ToInt64(await db.ScalarAsync(countUpTo, CancellationToken.None, ("id", id), ("time", time.AddTicks(-10)))));
        Assert.Null(await db.ScalarAsync("""SELECT "Annotation" FROM histories WHERE "Id" = @id""", CancellationToken.None, ("id", id)));
    }

    /// <summary>
    /// A statement run again on a held connection (as a batch of jobs does, where SQLite keeps it prepared) takes each run's
    /// values, joins the transaction open at the time (rolled back with it), and still runs once the connection was closed
    /// and opened again.
    /// </summary>
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task DirectStatements_RunAgain_WithNewValues_InTransactions_AndAfterTheConnectionReopens(DatabaseProvider database)
    {
        await using var store = await StoreWithHistoryAsync(database, "first");
        var (db, id) = (store.Db, store.History.Id);
        const string rename = """UPDATE histories SET "Name" = @name WHERE "Id" = @id""";
        const string name = """SELECT "Name" FROM histories WHERE "Id" = @id""";
        const string ids = """SELECT "Id" FROM histories WHERE "Id" = @id OR "Name" = @name""";

        await using (await db.HoldConnectionAsync(CancellationToken.None))
        {
            foreach (var next in new[] { "second", "third" })
            {
                Assert.Equal(1, await db.ExecuteAsync(rename, CancellationToken.None, ("name", next), ("id", id)));
                Assert.Equal(next, await db.ScalarAsync(name, CancellationToken.None, ("id", id)));
            }
            Assert.Equal([id], await db.IdsAsync(ids, CancellationToken.None, ("id", id), ("name", "none")));
            Assert.Empty(await db.IdsAsync(ids, CancellationToken.None, ("id", -1), ("name", "none")));

            await using (var transaction = await db.Database.BeginTransactionAsync())
            {
                await db.ExecuteAsync(rename, CancellationToken.None, ("name", "rolled back"), ("id", id));
                Assert.Equal("rolled back", await db.ScalarAsync(name, CancellationToken.None, ("id", id)));
                await transaction.RollbackAsync();
            }
            Assert.Equal("third", await db.ScalarAsync(name, CancellationToken.None, ("id", id)));
        }

        Assert.Equal(1, await db.ExecuteAsync(rename, CancellationToken.None, ("name", "fourth"), ("id", id)));
        Assert.Equal("fourth", await db.ScalarAsync(name, CancellationToken.None, ("id", id)));
        Assert.Equal([id], await db.IdsAsync(ids, CancellationToken.None, ("id", -1), ("name", "fourth")));
    }

    /// <summary>
    /// Rows inserted through one prepared statement are stored exactly as SaveChanges stores them, column by column (enums
    /// as text, GUIDs, booleans, timestamps, nulls: SQL such as the claim compares these stored forms), read back through
    /// the model as they were given, and each entity gets its key, on either provider.
    /// </summary>
    [Theory]
    [InlineData(DatabaseProvider.Sqlite)]
    [InlineData(DatabaseProvider.Postgres)]
    public async Task InsertedRows_ReadBackAsGiven_WithTheirKeys(DatabaseProvider database)
    {
        await using var store = await StoreWithHistoryAsync(database, "rows");
        var (db, history) = (store.Db, store.History);
        var time = new DateTime(2031, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddTicks(123_450);
        var datasets = new[]
        {
            new Dataset
            {
                HistoryId = history.Id, Hid = 7, Name = "a b/ü.txt", State = DatasetState.Running, Extension = "txt", Dbkey = "hg38",
                FileSize = 5_000_000_000, Md5 = new string('a', 32), Sha256 = new string('b', 64), Uuid = Guid.NewGuid(), MiscInfo = "info",
                MiscBlurb = "3 lines", Peek = "peek", Deleted = true, Purged = false, Visible = false, CreateTime = time, UpdateTime = time.AddDays(1),
            },
            new Dataset { HistoryId = history.Id, Hid = 8, Name = "second", Extension = "data", Dbkey = "?", Uuid = Guid.NewGuid(), CreateTime = time, UpdateTime = time },
        };
        var jobs = new[]
        {
            new Job
            {
                UserId = history.UserId, HistoryId = history.Id, ToolId = "cloud_get", State = JobState.Queued, Parameters = "{}", OutputDatasetId = null,
                InputDatasetId = null, Attempts = 2, NotBefore = time, LeaseOwner = "w1", LeaseExpiresAt = time.AddMinutes(1), CancelRequested = true,
                Stderr = "err", Info = null, BytesDone = 10, BytesTotal = null, Checkpoint = "{\"a\":1}", CreateTime = time, UpdateTime = time,
            },
        };

        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.InsertAsync(datasets, CancellationToken.None);
            jobs[0].OutputDatasetId = datasets[1].Id;
            await db.InsertAsync(jobs, CancellationToken.None);
            await transaction.CommitAsync();
        }

        Assert.All(datasets, d => Assert.True(d.Id > 0));
        Assert.NotEqual(datasets[0].Id, datasets[1].Id);
        foreach (var given in datasets)
        {
            AssertSameColumns(db, given, await db.Datasets.AsNoTracking().SingleAsync(d => d.Id == given.Id));
        }
        AssertSameColumns(db, jobs[0], await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobs[0].Id));

        await AssertStoredAsSaveChangesStoresAsync(db, "datasets", datasets[0]);
        await AssertStoredAsSaveChangesStoresAsync(db, "jobs", jobs[0]);

        // Enough rows for several of PostgreSQL's batches: every entity gets the key of its own row.
        var many = Enumerable.Range(100, 250).Select(hid => new Dataset
        {
            HistoryId = history.Id, Hid = hid, Name = $"d{hid}", Extension = "txt", Dbkey = "?", Uuid = Guid.NewGuid(), CreateTime = time, UpdateTime = time,
        }).ToList();
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            await db.InsertAsync(many, CancellationToken.None);
            await transaction.CommitAsync();
        }
        var keys = many.Select(d => d.Id).ToList();
        var stored = await db.Datasets.AsNoTracking().Where(d => keys.Contains(d.Id)).ToDictionaryAsync(d => d.Id, d => d.Hid);
        Assert.Equal(many.Select(d => (d.Id, d.Hid)), many.Select(d => (d.Id, stored[d.Id])));
    }

    /// <summary>Replaces the inserted row with the same entity saved by EF Core, and compares the two rows' stored values.</summary>
    private static async Task AssertStoredAsSaveChangesStoresAsync<T>(SkyportDbContext db, string table, T inserted) where T : class
    {
        var key = db.Model.FindEntityType(typeof(T))!.FindPrimaryKey()!.Properties.Single().PropertyInfo!;
        var insertedRow = await StoredRowAsync(db, table, (long)key.GetValue(inserted)!);
        await db.ExecuteAsync($"""DELETE FROM {table} WHERE "Id" = @id""", CancellationToken.None, ("id", key.GetValue(inserted)));
        key.SetValue(inserted, 0L);
        db.Add(inserted);
        await db.SaveChangesAsync();
        db.ChangeTracker.Clear();
        var savedRow = await StoredRowAsync(db, table, (long)key.GetValue(inserted)!);

        Assert.Equal(savedRow.Keys.Order(), insertedRow.Keys.Order());
        foreach (var (column, saved) in savedRow.Where(c => c.Key != "Id"))
        {
            var stored = insertedRow[column];
            Assert.True(Equals(saved, stored) || (saved is byte[] a && stored is byte[] b && a.SequenceEqual(b)),
                $"{table}.{column}: inserted {stored} ({stored.GetType().Name}), SaveChanges stores {saved} ({saved.GetType().Name})");
        }
    }

    private static async Task<Dictionary<string, object>> StoredRowAsync(SkyportDbContext db, string table, long id)
    {
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = $"SELECT * FROM {table} WHERE \"Id\" = {id}";
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync(), $"no row {id} in {table}");
            return Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, reader.GetValue);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static void AssertSameColumns<T>(SkyportDbContext db, T given, T stored)
    {
        foreach (var property in db.Model.FindEntityType(typeof(T))!.GetProperties())
        {
            var (expected, actual) = (property.PropertyInfo!.GetValue(given), property.PropertyInfo.GetValue(stored));
            Assert.True(Equals(expected, actual), $"{typeof(T).Name}.{property.Name}: stored {actual ?? "null"}, given {expected ?? "null"}");
            if (expected is DateTime time)
            {
                Assert.Equal(time.Kind, ((DateTime)actual!).Kind);
            }
        }
    }

    /// <summary>A server on the provider, a user's history in it, and a database context of the server's own.</summary>
    private static async Task<StoreWithHistory> StoreWithHistoryAsync(DatabaseProvider database, string historyName)
    {
        var server = await SkyportServer.StartAsync(database: database);
        using (var client = await server.NewUserAsync())
        {
            await client.CreateHistoryAsync(historyName);
        }
        var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
        return new StoreWithHistory(server, scope, db, await db.Histories.AsNoTracking().SingleAsync(h => h.Name == historyName));
    }

    private sealed record StoreWithHistory(SkyportServer Server, AsyncServiceScope Scope, SkyportDbContext Db, History History) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Scope.DisposeAsync();
            await Server.DisposeAsync();
        }
    }

    private static async Task<List<string>> NamesAsync(HttpClient client, string contains)
    {
        var found = await client.GetFromJsonAsync<JsonElement>($"/api/histories?q=name-contains&qv={contains}");
        return found.EnumerateArray().Select(h => h.GetProperty("name").GetString()!).ToList();
    }
}
