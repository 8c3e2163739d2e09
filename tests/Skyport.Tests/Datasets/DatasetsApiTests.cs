using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Datasets;

public class DatasetsApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Bed = "chr1\t100\t200\tfirst\nchr1\t300\t400\tsecond\nchr2\t500\t600\tthird\n";

    private SkyportServer Server => fixture.Server;

    [Fact]
    public async Task Show_ReturnsDetailedViewFields()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = await client.PasteAsync(historyId, Bed, "bed", "regions.bed");
        await client.WaitForDatasetAsync(id);

        var dataset = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/datasets/{id}"));

        Assert.Equal(id, dataset.GetProperty("id").GetString());
        Assert.Equal("regions.bed", dataset.GetProperty("name").GetString());
        Assert.Equal(1, dataset.GetProperty("hid").GetInt32());
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        Assert.Equal("bed", dataset.GetProperty("extension").GetString());
        Assert.Equal("bed", dataset.GetProperty("file_ext").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(Bed), dataset.GetProperty("file_size").GetInt64());
        Assert.Equal("?", dataset.GetProperty("genome_build").GetString());
        Assert.True(dataset.TryGetProperty("misc_info", out _));
        Assert.False(string.IsNullOrEmpty(dataset.GetProperty("misc_blurb").GetString()));
        Assert.Contains("chr1", dataset.GetProperty("peek").GetString());
        AssertGalaxyTime(dataset.GetProperty("create_time"));
        AssertGalaxyTime(dataset.GetProperty("update_time"));
        Assert.Equal(historyId, dataset.GetProperty("history_id").GetString());
        Assert.False(dataset.GetProperty("deleted").GetBoolean());
        Assert.False(dataset.GetProperty("purged").GetBoolean());
        Assert.True(Guid.TryParse(dataset.GetProperty("uuid").GetString(), out _));
        Assert.Equal("HistoryDatasetAssociation", dataset.GetProperty("model_class").GetString());
    }

    [Fact]
    public async Task Show_HashesMatchTheBytes()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = await client.PasteAsync(historyId, Bed, "bed");
        await client.WaitForDatasetAsync(id);
        var bytes = await client.GetByteArrayAsync($"/api/datasets/{id}/display");

        var dataset = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/datasets/{id}"));

        Assert.Equal(Encoding.UTF8.GetBytes(Bed), bytes);
        var hashes = dataset.GetProperty("hashes").EnumerateArray()
            .ToDictionary(h => h.GetProperty("hash_function").GetString()!, h => h.GetProperty("hash_value").GetString()!);
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(bytes)), hashes["MD5"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), hashes["SHA-256"]);
    }

    [Fact]
    public async Task Show_WithForeignDataset_Returns403()
    {
        var (owner, datasetId) = await OwnedDatasetAsync();
        using var _ = owner;
        using var other = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await other.GetAsync($"/api/datasets/{datasetId}"), HttpStatusCode.Forbidden, 403002);
    }

    [Fact]
    public async Task Show_WithMalformedId_Returns400009()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/datasets/{TestIds.MalformedId}"), HttpStatusCode.BadRequest, 400009);
        // Upper-case hex is not how ids are written: also malformed.
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/datasets/{Server.UnknownId().ToUpperInvariant()}"), HttpStatusCode.BadRequest, 400009);
    }

    [Fact]
    public async Task Show_WithUnknownId_Returns404()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/datasets/{Server.UnknownId()}"), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task Show_WithoutApiKey_Returns401()
    {
        var (owner, datasetId) = await OwnedDatasetAsync();
        using var _ = owner;
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync($"/api/datasets/{datasetId}"), HttpStatusCode.Unauthorized, 401001);
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync($"/api/datasets/{datasetId}/display"), HttpStatusCode.Unauthorized, 401001);
        await GalaxyAssert.ErrorAsync(await anonymous.PutAsJsonAsync($"/api/datasets/{datasetId}", new { name = "x" }), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task Update_ChangesNameDbkeyAndExtension()
    {
        var (client, datasetId) = await OwnedDatasetAsync();
        using var _ = client;

        var updated = await GalaxyAssert.OkJsonAsync(await client.PutAsJsonAsync($"/api/datasets/{datasetId}",
            new { name = "renamed.tsv", dbkey = "hg38", extension = "tabular" }));

        Assert.Equal("renamed.tsv", updated.GetProperty("name").GetString());
        Assert.Equal("hg38", updated.GetProperty("genome_build").GetString());
        Assert.Equal("tabular", updated.GetProperty("extension").GetString());
        Assert.Equal("tabular", updated.GetProperty("file_ext").GetString());
        var shown = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        Assert.Equal("renamed.tsv", shown.GetProperty("name").GetString());
        Assert.Equal("hg38", shown.GetProperty("genome_build").GetString());
        Assert.Equal("tabular", shown.GetProperty("extension").GetString());
    }

    [Fact]
    public async Task Update_WithGenomeBuildAndFileExt_AcceptsGalaxyNames()
    {
        var (client, datasetId) = await OwnedDatasetAsync();
        using var _ = client;

        var updated = await GalaxyAssert.OkJsonAsync(await client.PutAsJsonAsync($"/api/datasets/{datasetId}",
            new { genome_build = "mm10", file_ext = "txt" }));

        Assert.Equal("mm10", updated.GetProperty("genome_build").GetString());
        Assert.Equal("txt", updated.GetProperty("extension").GetString());
    }

    [Fact]
    public async Task Update_WithUnknownExtension_Returns400008_AndKeepsTheOld()
    {
        var (client, datasetId) = await OwnedDatasetAsync();
        using var _ = client;

        var message = await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/datasets/{datasetId}", new { extension = "no-such-type" }),
            HttpStatusCode.BadRequest, 400008);

        Assert.Contains("no-such-type", message);
        var shown = await client.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        Assert.Equal("bed", shown.GetProperty("extension").GetString());
    }

    [Fact]
    public async Task Update_WithInvalidDbkey_Returns400008()
    {
        var (client, datasetId) = await OwnedDatasetAsync();
        using var _ = client;
        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/datasets/{datasetId}", new { dbkey = "hg38; drop table" }),
            HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task Update_WithEmptyName_Returns400008()
    {
        var (client, datasetId) = await OwnedDatasetAsync();
        using var _ = client;
        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/datasets/{datasetId}", new { name = "   " }),
            HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task Update_WithWrongTypedName_Returns400008()
    {
        var (client, datasetId) = await OwnedDatasetAsync();
        using var _ = client;
        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/datasets/{datasetId}", new { name = 42 }),
            HttpStatusCode.BadRequest, 400008);
        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/datasets/{datasetId}", new { visible = "maybe" }),
            HttpStatusCode.BadRequest, 400008);
    }

    [Theory]
    [InlineData("{\"name\": ")]
    [InlineData("[1, 2]")]
    [InlineData("\"renamed\"")]
    [InlineData("null")]
    public async Task Update_WithMalformedBody_Returns400008(string body)
    {
        var (client, datasetId) = await OwnedDatasetAsync();
        using var _ = client;
        var response = await client.PutAsync($"/api/datasets/{datasetId}", new StringContent(body, Encoding.UTF8, "application/json"));
        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task Update_WithForeignDataset_Returns403_AndChangesNothing()
    {
        var (owner, datasetId) = await OwnedDatasetAsync();
        using var _ = owner;
        using var other = await Server.NewUserAsync();

        await GalaxyAssert.ErrorAsync(await other.PutAsJsonAsync($"/api/datasets/{datasetId}", new { name = "mine now" }),
            HttpStatusCode.Forbidden, 403002);

        var shown = await owner.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        Assert.Equal("regions.bed", shown.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Update_WithMalformedOrUnknownId_Returns400009Or404()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/datasets/{TestIds.MalformedId}", new { name = "x" }),
            HttpStatusCode.BadRequest, 400009);
        await GalaxyAssert.ErrorAsync(await client.PutAsJsonAsync($"/api/datasets/{Server.UnknownId()}", new { name = "x" }),
            HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task Delete_WithForeignDataset_Returns403()
    {
        var (owner, datasetId) = await OwnedDatasetAsync();
        using var _ = owner;
        using var other = await Server.NewUserAsync();

        await GalaxyAssert.ErrorAsync(await other.DeleteAsync($"/api/datasets/{datasetId}?purge=true"), HttpStatusCode.Forbidden, 403002);

        var shown = await owner.GetFromJsonAsync<JsonElement>($"/api/datasets/{datasetId}");
        Assert.False(shown.GetProperty("deleted").GetBoolean());
    }

    private async Task<(HttpClient Client, string DatasetId)> OwnedDatasetAsync()
    {
        var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = await client.PasteAsync(historyId, Bed, "bed", "regions.bed");
        var dataset = await client.WaitForDatasetAsync(id);
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        return (client, id);
    }

    private static void AssertGalaxyTime(JsonElement value) =>
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$", value.GetString());
}
