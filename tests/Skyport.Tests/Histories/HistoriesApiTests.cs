using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Histories;

public class HistoriesApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    [Fact]
    public async Task Create_ThenShow_ReturnsGalaxyFields()
    {
        using var client = await Server.NewUserAsync();
        var id = await client.CreateHistoryAsync("RNA-seq run 4");

        var history = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/histories/{id}"));

        Assert.Equal("RNA-seq run 4", history.GetProperty("name").GetString());
        Assert.Matches("^[0-9a-f]{16}$", history.GetProperty("id").GetString());
        Assert.Equal("History", history.GetProperty("model_class").GetString());
        Assert.Equal(0, history.GetProperty("count").GetInt32());
        Assert.True(history.GetProperty("empty").GetBoolean());
    }

    [Fact]
    public async Task Show_WithForeignHistory_Returns403()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var id = await owner.CreateHistoryAsync();

        await GalaxyAssert.ErrorAsync(await other.GetAsync($"/api/histories/{id}"), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.PutAsJsonAsync($"/api/histories/{id}", new { name = "mine now" }), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.DeleteAsync($"/api/histories/{id}"), HttpStatusCode.Forbidden, 403002);
        var unchanged = await GalaxyAssert.OkJsonAsync(await owner.GetAsync($"/api/histories/{id}"));
        Assert.False(unchanged.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task Show_WithMalformedId_Returns400009()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync("/api/histories/not-an-id"), HttpStatusCode.BadRequest, 400009);
    }

    [Fact]
    public async Task Show_WithUnknownId_Returns404()
    {
        using var client = await Server.NewUserAsync();
        var id = await client.CreateHistoryAsync();
        // A well-formed id that decodes to a database id nobody has: flip the history's id around.
        var unknown = new string(id.Reverse().ToArray());
        var response = await client.GetAsync($"/api/histories/{unknown}");
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.BadRequest });
        await GalaxyAssert.ErrorAsync(response, response.StatusCode, response.StatusCode == HttpStatusCode.NotFound ? 404001 : 400009);
    }

    [Fact]
    public async Task Create_WithMalformedJson_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var response = await client.PostAsync("/api/histories", new StringContent("{\"name\": ", System.Text.Encoding.UTF8, "application/json"));
        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task Create_WithWrongType_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var response = await client.PostAsJsonAsync("/api/histories", new { name = 42 });
        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task List_FiltersByNameAndDeleted_AndPages()
    {
        using var client = await Server.NewUserAsync();
        var a = await client.CreateHistoryAsync("alpha");
        await client.CreateHistoryAsync("beta");
        var gone = await client.CreateHistoryAsync("gamma");
        (await client.DeleteAsync($"/api/histories/{gone}")).EnsureSuccessStatusCode();

        var byName = await client.GetFromJsonAsync<JsonElement>("/api/histories?q=name&qv=alpha");
        Assert.Equal(a, Assert.Single(byName.EnumerateArray()).GetProperty("id").GetString());

        var live = await client.GetFromJsonAsync<JsonElement>("/api/histories");
        Assert.Equal(["beta", "alpha"], live.EnumerateArray().Select(h => h.GetProperty("name").GetString()!).ToArray());

        var deleted = await client.GetFromJsonAsync<JsonElement>("/api/histories?q=deleted&qv=True");
        Assert.Equal("gamma", Assert.Single(deleted.EnumerateArray()).GetProperty("name").GetString());

        var page = await client.GetFromJsonAsync<JsonElement>("/api/histories?limit=1&offset=1");
        Assert.Equal("alpha", Assert.Single(page.EnumerateArray()).GetProperty("name").GetString());
    }

    [Fact]
    public async Task List_WithUnknownFilter_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync("/api/histories?q=owner&qv=x"), HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task List_NeverShowsOtherUsersHistories()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        await owner.CreateHistoryAsync("private");

        var list = await other.GetFromJsonAsync<JsonElement>("/api/histories");
        Assert.Empty(list.EnumerateArray());
    }

    [Fact]
    public async Task Update_RenamesAndAnnotates()
    {
        using var client = await Server.NewUserAsync();
        var id = await client.CreateHistoryAsync("old");

        var updated = await GalaxyAssert.OkJsonAsync(await client.PutAsJsonAsync($"/api/histories/{id}", new { name = "new", annotation = "notes" }));

        Assert.Equal("new", updated.GetProperty("name").GetString());
        Assert.Equal("notes", updated.GetProperty("annotation").GetString());
    }

    [Fact]
    public async Task Update_WithEmptyName_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var id = await client.CreateHistoryAsync("keep");
        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/histories/{id}", new { name = "  " }), HttpStatusCode.BadRequest, 400008);
        var history = await client.GetFromJsonAsync<JsonElement>($"/api/histories/{id}");
        Assert.Equal("keep", history.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Delete_WithPurge_RemovesDatasetFiles()
    {
        using var client = await Server.NewUserAsync();
        var id = await client.CreateHistoryAsync();
        var datasetId = await client.PasteAsync(id, "hello\n");
        var dataset = await client.WaitForDatasetAsync(datasetId);
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        var files = Directory.GetFiles(Path.Combine(Server.DataDir, "files"), "*.dat", SearchOption.AllDirectories);
        var file = Assert.Single(files, f => f.Contains(dataset.GetProperty("uuid").GetString()!.Replace("-", "")));

        var deleted = await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/histories/{id}?purge=true"));

        Assert.True(deleted.GetProperty("purged").GetBoolean());
        Assert.False(File.Exists(file));
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        Assert.True(after.GetProperty("purged").GetBoolean());
    }

    [Fact]
    public async Task Endpoints_WithoutApiKey_Return401()
    {
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync("/api/histories"), HttpStatusCode.Unauthorized, 401001);
        using var wrong = Server.Client("0123456789abcdef0123456789abcdef");
        await GalaxyAssert.ErrorAsync(await wrong.GetAsync("/api/histories"), HttpStatusCode.Unauthorized, 401001);
    }
}
