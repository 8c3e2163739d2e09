using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Datasets;

/// <summary>
/// BioBlend's <c>delete_dataset(..., purge=True)</c> and <c>delete_history(..., purge=True)</c> send
/// <c>{"purge": true}</c> as the JSON body of the DELETE, not as a query parameter; Galaxy honours both.
/// </summary>
public class PurgeInBodyTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    [Theory]
    [InlineData("{\"purge\": true}")]
    [InlineData("{\"purge\": \"True\"}")]
    public async Task DeleteContent_WithPurgeInBody_PurgesAndRemovesTheFile(string body)
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var (id, file) = await PasteAsync(client, historyId);

        var purged = await GalaxyAssert.OkJsonAsync(await DeleteAsync(client, $"/api/histories/{historyId}/contents/{id}", body));

        Assert.True(purged.GetProperty("purged").GetBoolean());
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task DeleteDataset_WithPurgeInBody_PurgesAndRemovesTheFile()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var (id, file) = await PasteAsync(client, historyId);

        var purged = await GalaxyAssert.OkJsonAsync(await DeleteAsync(client, $"/api/datasets/{id}", "{\"purge\": true}"));

        Assert.True(purged.GetProperty("purged").GetBoolean());
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task DeleteHistory_WithPurgeInBody_PurgesItsDatasets()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var (id, file) = await PasteAsync(client, historyId);

        var history = await GalaxyAssert.OkJsonAsync(await DeleteAsync(client, $"/api/histories/{historyId}", "{\"purge\": true}"));

        Assert.True(history.GetProperty("purged").GetBoolean());
        Assert.False(File.Exists(file));
        var dataset = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{id}");
        Assert.True(dataset.GetProperty("purged").GetBoolean());
    }

    [Fact]
    public async Task DeleteContent_WithPurgeFalseInBody_OnlyDeletes()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var (id, file) = await PasteAsync(client, historyId);

        var deleted = await GalaxyAssert.OkJsonAsync(await DeleteAsync(client, $"/api/histories/{historyId}/contents/{id}", "{\"purge\": false}"));

        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        Assert.False(deleted.GetProperty("purged").GetBoolean());
        Assert.True(File.Exists(file));
    }

    [Theory]
    [InlineData("{\"purge\": \"perhaps\"}")]
    [InlineData("{\"purge\": 3}")]
    [InlineData("[true]")]
    [InlineData("{\"purge\": ")]
    public async Task DeleteContent_WithInvalidBody_Returns400008_AndDeletesNothing(string body)
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var (id, file) = await PasteAsync(client, historyId);

        await GalaxyAssert.ErrorAsync(await DeleteAsync(client, $"/api/histories/{historyId}/contents/{id}", body), HttpStatusCode.BadRequest, 400008);

        var dataset = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{id}");
        Assert.False(dataset.GetProperty("deleted").GetBoolean());
        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task DeleteContent_WithInvalidPurgeQuery_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var (id, file) = await PasteAsync(client, historyId);

        await GalaxyAssert.ErrorAsync(await client.DeleteAsync($"/api/histories/{historyId}/contents/{id}?purge=perhaps"), HttpStatusCode.BadRequest, 400008);

        Assert.True(File.Exists(file));
    }

    private static Task<HttpResponseMessage> DeleteAsync(HttpClient client, string path, string json) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    private async Task<(string Id, string File)> PasteAsync(HttpClient client, string historyId)
    {
        var id = await client.PasteAsync(historyId, "to be purged\n", "txt");
        var dataset = await client.WaitForDatasetAsync(id);
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        var uuid = Guid.Parse(dataset.GetProperty("uuid").GetString()!).ToString("N");
        var file = Assert.Single(Directory.GetFiles(Path.Combine(Server.DataDir, "files"), $"{uuid}*", SearchOption.AllDirectories));
        return (id, file);
    }
}
