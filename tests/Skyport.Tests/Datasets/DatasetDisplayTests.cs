using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Skyport.Tests.Infrastructure;
using Skyport.Tests.Uploads;

namespace Skyport.Tests.Datasets;

public class DatasetDisplayTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Content = "line one\nline two\nline three\n";

    private SkyportServer Server => fixture.Server;

    private static byte[] Bytes => Encoding.UTF8.GetBytes(Content);

    [Fact]
    public async Task Display_ReturnsExactBytes()
    {
        var (client, _, id) = await DatasetAsync();
        using var _ = client;

        var response = await client.GetAsync($"/api/datasets/{id}/display");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Bytes, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(Bytes.Length, response.Content.Headers.ContentLength);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString());
        Assert.Contains("bytes", response.Headers.AcceptRanges);
    }

    [Fact]
    public async Task Display_WithRange_Returns206Slice()
    {
        var (client, _, id) = await DatasetAsync();
        using var _ = client;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/datasets/{id}/display");
        request.Headers.Range = new RangeHeaderValue(5, 12);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(Bytes[5..13], await response.Content.ReadAsByteArrayAsync());
        var range = response.Content.Headers.ContentRange!;
        Assert.Equal(5, range.From);
        Assert.Equal(12, range.To);
        Assert.Equal(Bytes.Length, range.Length);
    }

    [Fact]
    public async Task Display_WithSuffixRange_Returns206Tail()
    {
        var (client, _, id) = await DatasetAsync();
        using var _ = client;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/datasets/{id}/display");
        request.Headers.Range = new RangeHeaderValue(null, 6);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(Bytes[^6..], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Display_WithOpenEndedRange_Returns206Rest()
    {
        var (client, _, id) = await DatasetAsync();
        using var _ = client;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/datasets/{id}/display");
        request.Headers.Range = new RangeHeaderValue(9, null);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(Bytes[9..], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Display_WithUnsatisfiableRange_Returns416()
    {
        var (client, _, id) = await DatasetAsync();
        using var _ = client;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/datasets/{id}/display");
        request.Headers.Range = new RangeHeaderValue(Bytes.Length + 100, Bytes.Length + 200);

        var response = await client.SendAsync(request);

        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.RequestedRangeNotSatisfiable, 416001);
        // RFC 9110: a 416 names the current length so the client can ask again.
        Assert.Equal(Bytes.Length, response.Content.Headers.ContentRange?.Length);
    }

    [Fact]
    public async Task Display_WithToExt_IsAnAttachmentWithAFilename()
    {
        var (client, _, id) = await DatasetAsync();
        using var _ = client;

        var response = await client.GetAsync($"/api/datasets/{id}/display?to_ext=txt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        var fileName = (disposition.FileNameStar ?? disposition.FileName)!.Trim('"');
        Assert.EndsWith(".txt", fileName);
        Assert.Contains("notes", fileName);
        Assert.Equal(Bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Display_ThroughHistoryContentsAlias_ReturnsExactBytes()
    {
        var (client, historyId, id) = await DatasetAsync();
        using var _ = client;

        var response = await client.GetAsync($"/api/histories/{historyId}/contents/{id}/display");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Bytes, await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Display_ThroughAliasWithRange_Returns206Slice()
    {
        var (client, historyId, id) = await DatasetAsync();
        using var _ = client;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/histories/{historyId}/contents/{id}/display");
        request.Headers.Range = new RangeHeaderValue(0, 3);

        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(Bytes[..4], await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Display_ThroughAliasWithOtherHistory_Returns404()
    {
        var (client, _, id) = await DatasetAsync();
        using var _ = client;
        var otherHistory = await client.CreateHistoryAsync("other");

        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/histories/{otherHistory}/contents/{id}/display"), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task Display_ThroughAliasWithMalformedHistoryId_Returns400009()
    {
        var (client, _, id) = await DatasetAsync();
        using var _ = client;
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/histories/{TestIds.MalformedId}/contents/{id}/display"), HttpStatusCode.BadRequest, 400009);
    }

    [Fact]
    public async Task Display_ThroughAliasWithForeignHistory_Returns403()
    {
        var (owner, historyId, id) = await DatasetAsync();
        using var _ = owner;
        using var other = await Server.NewUserAsync();
        var othersHistory = await other.CreateHistoryAsync();

        await GalaxyAssert.ErrorAsync(await other.GetAsync($"/api/histories/{historyId}/contents/{id}/display"), HttpStatusCode.Forbidden, 403002);
        // Someone else's dataset filed under one's own history is still someone else's dataset.
        var response = await other.GetAsync($"/api/histories/{othersHistory}/contents/{id}/display");
        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.NotFound, HttpStatusCode.Forbidden });
        await GalaxyAssert.ErrorAsync(response, response.StatusCode, response.StatusCode == HttpStatusCode.NotFound ? 404001 : 403002);
    }

    [Fact]
    public async Task Display_WithForeignDataset_Returns403()
    {
        var (owner, _, id) = await DatasetAsync();
        using var _ = owner;
        using var other = await Server.NewUserAsync();

        await GalaxyAssert.ErrorAsync(await other.GetAsync($"/api/datasets/{id}/display"), HttpStatusCode.Forbidden, 403002);
    }

    [Fact]
    public async Task Display_WithMalformedOrUnknownId_Returns400009Or404()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/datasets/{TestIds.MalformedId}/display"), HttpStatusCode.BadRequest, 400009);
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/datasets/{Server.UnknownId()}/display"), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task Display_OfPurgedDataset_ReturnsErrorEnvelope()
    {
        var (client, historyId, id) = await DatasetAsync();
        using var _ = client;
        await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/histories/{historyId}/contents/{id}?purge=true"));

        var response = await client.GetAsync($"/api/datasets/{id}/display");

        Assert.True((int)response.StatusCode is >= 400 and < 500, $"Expected a client error, got {(int)response.StatusCode}");
        await GalaxyAssert.ErrorAsync(response, response.StatusCode, 0);
    }

    [Fact]
    public async Task Display_OfFileLargerThanOneSendBlock_ReturnsExactBytesWholeAndInARangeAcrossBlocks()
    {
        var data = new byte[(2 * (1 << 20)) + 12345];
        new Random(7).NextBytes(data);
        var client = await Server.NewUserAsync();
        using var _ = client;
        var historyId = await client.CreateHistoryAsync();
        var sessionId = await client.UploadTusAsync(data, chunkSize: 1 << 20, filename: "blocks.bin");
        var (id, _) = (await client.FetchAsync(UploadRequests.FetchFromSession(historyId, sessionId, "blocks.bin", "data"))).Single();
        await client.WaitForOkDatasetAsync(id);

        Assert.Equal(data, await client.DownloadAsync(id));

        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/datasets/{id}/display");
        request.Headers.Range = new RangeHeaderValue(1_000_000, 2_100_000);
        var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(data[1_000_000..2_100_001], await response.Content.ReadAsByteArrayAsync());
    }

    private async Task<(HttpClient Client, string HistoryId, string DatasetId)> DatasetAsync()
    {
        var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var id = await client.PasteAsync(historyId, Content, "txt", "notes");
        var dataset = await client.WaitForDatasetAsync(id);
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        return (client, historyId, id);
    }
}
