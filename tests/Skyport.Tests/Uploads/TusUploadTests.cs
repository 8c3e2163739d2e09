using System.Net;
using System.Net.Http.Json;
using Skyport.Tests.Infrastructure;
using static Skyport.Tests.Uploads.UploadRequests;

namespace Skyport.Tests.Uploads;

public class TusUploadTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    [Fact]
    public async Task Options_AdvertisesTusVersionAndExtensions()
    {
        using var client = await Server.NewUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Options, TusPath);

        using var response = await client.SendAsync(request);

        Assert.True(response.IsSuccessStatusCode, $"OPTIONS answered {(int)response.StatusCode}");
        Assert.Contains("1.0.0", response.Headers.GetValues("Tus-Version").Single().Split(','));
        var extensions = response.Headers.GetValues("Tus-Extension").Single().Split(',');
        Assert.Contains("creation", extensions);
        Assert.Contains("termination", extensions);
        Assert.Equal("1.0.0", response.Headers.GetValues("Tus-Resumable").Single());
    }

    [Fact]
    public async Task Post_WithUploadLength_Returns201WithLocation_AndHeadReportsOffsetAndLength()
    {
        using var client = await Server.NewUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, TusPath);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        request.Headers.Add("Upload-Length", "1234");

        using var created = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var location = created.Headers.Location!.OriginalString;
        Assert.Matches("/api/upload/resumable_upload/[0-9a-f]{32}$", location);
        using var head = await client.HeadAsync(location.Split('/')[^1]);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(0, HeaderLong(head, "Upload-Offset"));
        Assert.Equal(1234, HeaderLong(head, "Upload-Length"));
    }

    [Fact]
    public async Task Post_WithoutUploadLength_Returns400007()
    {
        using var client = await Server.NewUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, TusPath);
        request.Headers.Add("Tus-Resumable", "1.0.0");
        await GalaxyAssert.ErrorAsync(await client.SendAsync(request), HttpStatusCode.BadRequest, 400007);
    }

    [Fact]
    public async Task Patch_InSeveralChunks_AdvancesOffsetEachTime()
    {
        using var client = await Server.NewUserAsync();
        var data = RandomBytes(300_000, seed: 1);
        var sessionId = await client.CreateTusSessionAsync(data.Length);

        foreach (var (offset, length) in new[] { (0, 100_000), (100_000, 150_000), (250_000, 50_000) })
        {
            using var response = await client.PatchAsync(sessionId, offset, data.AsMemory(offset, length));
            Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
            Assert.Equal(offset + length, HeaderLong(response, "Upload-Offset"));
            using var head = await client.HeadAsync(sessionId);
            Assert.Equal(offset + length, HeaderLong(head, "Upload-Offset"));
        }
    }

    [Fact]
    public async Task Patch_WithWrongOffset_Returns409AndKeepsOffset()
    {
        using var client = await Server.NewUserAsync();
        var data = RandomBytes(1000, seed: 2);
        var sessionId = await client.CreateTusSessionAsync(data.Length);
        (await client.PatchAsync(sessionId, 0, data.AsMemory(0, 400))).EnsureSuccessStatusCode();

        await GalaxyAssert.ErrorAsync(await client.PatchAsync(sessionId, 300, data.AsMemory(300, 200)), HttpStatusCode.Conflict, 409001);
        await GalaxyAssert.ErrorAsync(await client.PatchAsync(sessionId, 500, data.AsMemory(500, 200)), HttpStatusCode.Conflict, 409001);

        using var head = await client.HeadAsync(sessionId);
        Assert.Equal(400, HeaderLong(head, "Upload-Offset"));
    }

    [Fact]
    public async Task Patch_WithWrongContentType_Returns415()
    {
        using var client = await Server.NewUserAsync();
        var sessionId = await client.CreateTusSessionAsync(10);

        var response = await client.PatchAsync(sessionId, 0, new byte[10], contentType: "application/octet-stream");

        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.UnsupportedMediaType, 400008);
        using var head = await client.HeadAsync(sessionId);
        Assert.Equal(0, HeaderLong(head, "Upload-Offset"));
    }

    [Fact]
    public async Task Patch_WithBodyLongerThanDeclared_Returns413()
    {
        using var client = await Server.NewUserAsync();
        var sessionId = await client.CreateTusSessionAsync(10);

        await GalaxyAssert.ErrorAsync(await client.PatchAsync(sessionId, 0, new byte[25]), HttpStatusCode.RequestEntityTooLarge, 413001);

        using var head = await client.HeadAsync(sessionId);
        Assert.True(HeaderLong(head, "Upload-Offset") <= 10);
    }

    [Fact]
    public async Task Patch_AfterInterruptedPatch_ResumesFromHeadOffset_AndFetchStoresEveryByte()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var data = RandomBytes(3 << 20, seed: 3);
        var sessionId = await client.CreateTusSessionAsync(data.Length, "resumed.bin");
        const int firstPart = 1 << 20;

        // The client sends the first MiB, then its connection breaks mid-request.
        var interruption = new InterruptedContent(data.AsMemory(0, firstPart));
        using var interrupted = TusPatch(sessionId, 0, interruption);
        var send = client.SendAsync(interrupted);
        long received = 0;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (received < firstPart && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
            using var progress = await client.HeadAsync(sessionId);
            received = HeaderLong(progress, "Upload-Offset");
        }
        Assert.Equal(firstPart, received);
        interruption.Break();
        await Assert.ThrowsAnyAsync<Exception>(() => send);

        // Like tus clients: ask where the server is, then continue from there. While the server has not yet
        // noticed the broken request it may still hold the session (409); retrying is what clients do.
        using var head = await client.HeadAsync(sessionId);
        var offset = HeaderLong(head, "Upload-Offset");
        Assert.Equal(firstPart, offset);
        HttpResponseMessage resumed;
        deadline = DateTime.UtcNow.AddSeconds(30);
        do
        {
            resumed = await client.PatchAsync(sessionId, offset, data.AsMemory((int)offset));
        }
        while (resumed.StatusCode == HttpStatusCode.Conflict && DateTime.UtcNow < deadline && await DelayAsync());
        Assert.True(resumed.StatusCode == HttpStatusCode.NoContent, $"Resumed PATCH answered {(int)resumed.StatusCode}: {await resumed.Content.ReadAsStringAsync()}");
        Assert.Equal(data.Length, HeaderLong(resumed, "Upload-Offset"));

        var (datasetId, _) = Assert.Single(await client.FetchAsync(FetchFromSession(historyId, sessionId, "resumed.bin")));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);
        Assert.Equal(data, await client.DownloadAsync(datasetId));
        Assert.Equal(Sha256Hex(data), Hash(dataset, "SHA-256"));
    }

    [Fact]
    public async Task Session_OfAnotherUser_Returns403()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var sessionId = await owner.CreateTusSessionAsync(10);

        using var head = await other.HeadAsync(sessionId);
        Assert.Equal(HttpStatusCode.Forbidden, head.StatusCode);
        await GalaxyAssert.ErrorAsync(await other.PatchAsync(sessionId, 0, new byte[10]), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.DeleteAsync(TusPath + sessionId), HttpStatusCode.Forbidden, 403002);

        using var ownerHead = await owner.HeadAsync(sessionId);
        Assert.Equal(0, HeaderLong(ownerHead, "Upload-Offset"));
    }

    [Fact]
    public async Task Session_Unknown_Returns404()
    {
        using var client = await Server.NewUserAsync();
        var unknown = new string('a', 32);

        using var head = await client.HeadAsync(unknown);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        await GalaxyAssert.ErrorAsync(await client.PatchAsync(unknown, 0, new byte[1]), HttpStatusCode.NotFound, 404001);
        await GalaxyAssert.ErrorAsync(await client.PatchAsync("not-a-session", 0, new byte[1]), HttpStatusCode.NotFound, 404001);
        await GalaxyAssert.ErrorAsync(await client.DeleteAsync(TusPath + unknown), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task Delete_TerminatesSession_ThenItIsGone()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var sessionId = await client.UploadTusAsync(RandomBytes(100, seed: 4), chunkSize: 60);

        using var deleted = await client.DeleteAsync(TusPath + sessionId);

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var head = await client.HeadAsync(sessionId);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
        await GalaxyAssert.ErrorAsync(await client.PatchAsync(sessionId, 100, new byte[1]), HttpStatusCode.NotFound, 404001);
        Assert.False(File.Exists(Path.Combine(Server.DataDir, "uploads", sessionId)));
        await GalaxyAssert.ErrorAsync(await client.PostAsJsonAsync("/api/tools/fetch", FetchFromSession(historyId, sessionId, "gone.bin")),
            HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task Fetch_FromTusSession_StoresRandomBinaryUnaltered_WithMatchingHashes()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var data = RandomBytes((4 << 20) + 12_345, seed: 5);
        var sessionId = await client.UploadTusAsync(data, chunkSize: 1 << 20, filename: "random.bin");

        var (datasetId, _) = Assert.Single(await client.FetchAsync(FetchFromSession(historyId, sessionId, "random.bin")));
        var dataset = await client.WaitForOkDatasetAsync(datasetId);

        Assert.Equal("random.bin", dataset.GetProperty("name").GetString());
        Assert.Equal(data.Length, dataset.GetProperty("file_size").GetInt64());
        Assert.Equal(Sha256Hex(data), Hash(dataset, "SHA-256"));
        Assert.Equal(Md5Hex(data), Hash(dataset, "MD5"));
        Assert.Equal(data, await client.DownloadAsync(datasetId));
        // The session's bytes became the dataset: the session is consumed.
        using var head = await client.HeadAsync(sessionId);
        Assert.Equal(HttpStatusCode.NotFound, head.StatusCode);
    }

    private static async Task<bool> DelayAsync()
    {
        await Task.Delay(100);
        return true;
    }

    /// <summary>A request body that sends its bytes, then stalls until the test breaks the connection.</summary>
    private sealed class InterruptedContent(ReadOnlyMemory<byte> sent) : HttpContent
    {
        private readonly TaskCompletionSource _broken = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Break() => _broken.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(sent);
            await stream.FlushAsync();
            await _broken.Task;
            throw new IOException("Simulated network failure in the middle of a PATCH.");
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
