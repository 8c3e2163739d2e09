using System.Net.Http.Json;
using System.Text.Json;
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

    private static async Task<List<string>> NamesAsync(HttpClient client, string contains)
    {
        var found = await client.GetFromJsonAsync<JsonElement>($"/api/histories?q=name-contains&qv={contains}");
        return found.EnumerateArray().Select(h => h.GetProperty("name").GetString()!).ToList();
    }
}
