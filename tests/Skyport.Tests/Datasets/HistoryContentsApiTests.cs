using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Datasets;

public class HistoryContentsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    [Fact]
    public async Task List_ReturnsSummaryFields_OrderedByHid()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var ids = await PasteManyAsync(client, historyId, 3);

        var items = (await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/histories/{historyId}/contents"))).EnumerateArray().ToList();

        Assert.Equal(ids, items.Select(i => i.GetProperty("id").GetString()!).ToArray());
        Assert.Equal([1, 2, 3], items.Select(i => i.GetProperty("hid").GetInt32()).ToArray());
        var first = items[0];
        Assert.Equal("item-0", first.GetProperty("name").GetString());
        Assert.Equal("ok", first.GetProperty("state").GetString());
        Assert.Equal("txt", first.GetProperty("extension").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(ContentOf(0)), first.GetProperty("file_size").GetInt64());
        Assert.False(first.GetProperty("deleted").GetBoolean());
        Assert.False(first.GetProperty("purged").GetBoolean());
        Assert.True(first.GetProperty("visible").GetBoolean());
        Assert.Equal("dataset", first.GetProperty("history_content_type").GetString());
        Assert.Equal($"/api/histories/{historyId}/contents/{ids[0]}", first.GetProperty("url").GetString());
    }

    [Fact]
    public async Task List_ItemsAgreeWithEachDatasetsDetails_ForAwkwardNames()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        string[] names = ["quote \" and \\", "ünïcödé 🧬", "</script>&'"];
        var ids = new List<string>();
        foreach (var name in names)
        {
            ids.Add(await client.PasteAsync(historyId, "x\n", "txt", name));
        }
        foreach (var id in ids)
        {
            await client.WaitForDatasetAsync(id);
        }

        var items = (await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/histories/{historyId}/contents"))).EnumerateArray().ToList();

        Assert.Equal(names, items.Select(i => i.GetProperty("name").GetString()!).ToArray());
        foreach (var item in items)
        {
            var id = item.GetProperty("id").GetString()!;
            var details = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{id}");
            foreach (var field in new[] { "name", "state", "extension", "history_id", "create_time", "update_time", "model_class" })
            {
                Assert.Equal(details.GetProperty(field).GetString(), item.GetProperty(field).GetString());
            }
            Assert.Equal(details.GetProperty("hid").GetInt32(), item.GetProperty("hid").GetInt32());
            Assert.Equal(details.GetProperty("file_size").GetInt64(), item.GetProperty("file_size").GetInt64());
            Assert.Equal($"dataset-{id}", item.GetProperty("type_id").GetString());
        }
    }

    [Fact]
    public async Task List_WithLimitAndOffset_Pages()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var ids = await PasteManyAsync(client, historyId, 4);

        var page = await ListAsync(client, $"/api/histories/{historyId}/contents?limit=2&offset=1");
        Assert.Equal(ids[1..3], page.Select(i => i.GetProperty("id").GetString()!).ToArray());

        var tail = await ListAsync(client, $"/api/histories/{historyId}/contents?offset=3");
        Assert.Equal(ids[3], Assert.Single(tail).GetProperty("id").GetString());

        Assert.Empty(await ListAsync(client, $"/api/histories/{historyId}/contents?offset=10"));
        Assert.Empty(await ListAsync(client, $"/api/histories/{historyId}/contents?limit=0"));
    }

    [Fact]
    public async Task List_FiltersByDeletedAndVisible()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var ids = await PasteManyAsync(client, historyId, 3);
        await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/histories/{historyId}/contents/{ids[0]}"));
        await GalaxyAssert.OkJsonAsync(await client.PutAsJsonAsync($"/api/histories/{historyId}/contents/{ids[1]}", new { visible = false }));

        Assert.Equal(3, (await ListAsync(client, $"/api/histories/{historyId}/contents")).Count);
        var deleted = await ListAsync(client, $"/api/histories/{historyId}/contents?deleted=true");
        Assert.Equal(ids[0], Assert.Single(deleted).GetProperty("id").GetString());
        Assert.True(deleted[0].GetProperty("deleted").GetBoolean());
        var live = await ListAsync(client, $"/api/histories/{historyId}/contents?deleted=False");
        Assert.Equal(ids[1..], live.Select(i => i.GetProperty("id").GetString()!).ToArray());
        var hidden = await ListAsync(client, $"/api/histories/{historyId}/contents?visible=false");
        Assert.Equal(ids[1], Assert.Single(hidden).GetProperty("id").GetString());
        Assert.False(hidden[0].GetProperty("visible").GetBoolean());
        var shown = await ListAsync(client, $"/api/histories/{historyId}/contents?visible=true&deleted=false");
        Assert.Equal(ids[2], Assert.Single(shown).GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("limit=ten")]
    [InlineData("limit=-1")]
    [InlineData("offset=x")]
    [InlineData("deleted=perhaps")]
    [InlineData("visible=2")]
    public async Task List_WithInvalidQueryValue_Returns400008(string query)
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/histories/{historyId}/contents?{query}"), HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task List_WithForeignHistory_Returns403()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var historyId = await owner.CreateHistoryAsync();
        await PasteManyAsync(owner, historyId, 1);

        await GalaxyAssert.ErrorAsync(await other.GetAsync($"/api/histories/{historyId}/contents"), HttpStatusCode.Forbidden, 403002);
    }

    [Fact]
    public async Task List_WithMalformedOrUnknownHistory_Returns400009Or404()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/histories/{TestIds.MalformedId}/contents"), HttpStatusCode.BadRequest, 400009);
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/histories/{Server.UnknownId()}/contents"), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task List_WithoutApiKey_Returns401()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync($"/api/histories/{historyId}/contents"), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task Show_InItsHistory_ReturnsDetails()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = (await PasteManyAsync(client, historyId, 1))[0];

        var dataset = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/histories/{historyId}/contents/{id}"));

        Assert.Equal(id, dataset.GetProperty("id").GetString());
        Assert.Equal(historyId, dataset.GetProperty("history_id").GetString());
        Assert.Equal("item-0", dataset.GetProperty("name").GetString());
    }

    [Fact]
    public async Task ShowUpdateDelete_WithDatasetOfAnotherHistory_Return404()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync("first");
        var otherHistoryId = await client.CreateHistoryAsync("second");
        var id = (await PasteManyAsync(client, historyId, 1))[0];
        var path = $"/api/histories/{otherHistoryId}/contents/{id}";

        await GalaxyAssert.ErrorAsync(await client.GetAsync(path), HttpStatusCode.NotFound, 404001);
        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync(path, new { name = "moved?" }), HttpStatusCode.NotFound, 404001);
        await GalaxyAssert.ErrorAsync(await client.DeleteAsync(path), HttpStatusCode.NotFound, 404001);

        var dataset = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{id}");
        Assert.Equal("item-0", dataset.GetProperty("name").GetString());
        Assert.False(dataset.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task ShowUpdateDelete_WithForeignHistory_Return403()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var historyId = await owner.CreateHistoryAsync();
        var id = (await PasteManyAsync(owner, historyId, 1))[0];
        var path = $"/api/histories/{historyId}/contents/{id}";

        await GalaxyAssert.ErrorAsync(await other.GetAsync(path), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.PutAsJsonAsync(path, new { name = "mine now" }), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.DeleteAsync($"{path}?purge=true"), HttpStatusCode.Forbidden, 403002);

        var dataset = await owner.GetFromJsonAsync<JsonElement>(path);
        Assert.Equal("item-0", dataset.GetProperty("name").GetString());
        Assert.False(dataset.GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task ShowUpdateDelete_WithMalformedIds_Return400009()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = (await PasteManyAsync(client, historyId, 1))[0];

        foreach (var path in new[] { $"/api/histories/{historyId}/contents/{TestIds.MalformedId}", $"/api/histories/{TestIds.MalformedId}/contents/{id}" })
        {
            await GalaxyAssert.ErrorAsync(await client.GetAsync(path), HttpStatusCode.BadRequest, 400009);
            await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync(path, new { name = "x" }), HttpStatusCode.BadRequest, 400009);
            await GalaxyAssert.ErrorAsync(await client.DeleteAsync(path), HttpStatusCode.BadRequest, 400009);
        }
    }

    [Fact]
    public async Task Show_WithUnknownDatasetId_Returns404()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/histories/{historyId}/contents/{Server.UnknownId()}"), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task Update_InHistory_RenamesAndHides()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = (await PasteManyAsync(client, historyId, 1))[0];

        var updated = await GalaxyAssert.OkJsonAsync(await client.PutAsJsonAsync($"/api/histories/{historyId}/contents/{id}",
            new { name = "renamed", visible = false, genome_build = "hg19" }));

        Assert.Equal("renamed", updated.GetProperty("name").GetString());
        Assert.False(updated.GetProperty("visible").GetBoolean());
        Assert.Equal("hg19", updated.GetProperty("genome_build").GetString());
    }

    [Fact]
    public async Task Update_InHistoryWithUnknownExtension_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = (await PasteManyAsync(client, historyId, 1))[0];
        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/histories/{historyId}/contents/{id}", new { extension = "docx" }),
            HttpStatusCode.BadRequest, 400008);
        await GalaxyAssert.ErrorAsync(await client.PutAsync($"/api/histories/{historyId}/contents/{id}",
            new StringContent("[\"renamed\"]", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task Delete_WithoutPurge_KeepsTheFile()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = (await PasteManyAsync(client, historyId, 1))[0];
        var file = await FileOfAsync(client, id);

        var deleted = await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/histories/{historyId}/contents/{id}"));

        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        Assert.False(deleted.GetProperty("purged").GetBoolean());
        Assert.True(File.Exists(file));
    }

    [Fact]
    public async Task Delete_WithPurge_RemovesTheFileOnDisk()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var ids = await PasteManyAsync(client, historyId, 2);
        var file = await FileOfAsync(client, ids[0]);
        var kept = await FileOfAsync(client, ids[1]);
        var usageBefore = (await client.GetFromJsonAsync<JsonElement>("/api/users/current")).GetProperty("total_disk_usage").GetInt64();

        var purged = await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/histories/{historyId}/contents/{ids[0]}?purge=true"));

        Assert.True(purged.GetProperty("deleted").GetBoolean());
        Assert.True(purged.GetProperty("purged").GetBoolean());
        Assert.False(File.Exists(file));
        Assert.True(File.Exists(kept));
        var listed = (await ListAsync(client, $"/api/histories/{historyId}/contents")).Single(i => i.GetProperty("id").GetString() == ids[0]);
        Assert.True(listed.GetProperty("purged").GetBoolean());
        var usageAfter = (await client.GetFromJsonAsync<JsonElement>("/api/users/current")).GetProperty("total_disk_usage").GetInt64();
        Assert.Equal(usageBefore - Encoding.UTF8.GetByteCount(ContentOf(0)), usageAfter);
    }

    [Fact]
    public async Task Update_UndeleteOfPurgedDataset_IsRefused()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = (await PasteManyAsync(client, historyId, 1))[0];
        await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/histories/{historyId}/contents/{id}?purge=true"));

        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/histories/{historyId}/contents/{id}", new { deleted = false }),
            HttpStatusCode.BadRequest, 0);
    }

    private static string ContentOf(int index) => $"content of item {index}\n";

    private static async Task<string[]> PasteManyAsync(HttpClient client, string historyId, int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            // One at a time, so that hids follow the paste order.
            ids.Add(await client.PasteAsync(historyId, ContentOf(i), "txt", $"item-{i}"));
        }
        foreach (var id in ids)
        {
            Assert.Equal("ok", (await client.WaitForDatasetAsync(id)).GetProperty("state").GetString());
        }
        return [.. ids];
    }

    private async Task<string> FileOfAsync(HttpClient client, string datasetId)
    {
        var dataset = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        var uuid = Guid.Parse(dataset.GetProperty("uuid").GetString()!).ToString("N");
        var file = Assert.Single(Directory.GetFiles(Path.Combine(Server.DataDir, "files"), $"{uuid}*", SearchOption.AllDirectories));
        Assert.True(File.Exists(file));
        return file;
    }

    private static async Task<List<JsonElement>> ListAsync(HttpClient client, string path) =>
        (await GalaxyAssert.OkJsonAsync(await client.GetAsync(path))).EnumerateArray().ToList();
}
