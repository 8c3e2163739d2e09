using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Data;
using Skyport.Server.Histories;
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
        await using var server = await SkyportServer.StartAsync(database: database);
        using var client = await server.NewUserAsync();
        await client.CreateHistoryAsync("before");
        await using var scope = server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
        var id = (await db.Histories.AsNoTracking().SingleAsync(h => h.Name == "before")).Id;
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

    private static async Task<List<string>> NamesAsync(HttpClient client, string contains)
    {
        var found = await client.GetFromJsonAsync<JsonElement>($"/api/histories?q=name-contains&qv={contains}");
        return found.EnumerateArray().Select(h => h.GetProperty("name").GetString()!).ToList();
    }
}
