using System.Net;
using System.Net.Http.Json;
using Skyport.Tests.Infrastructure;
using static Skyport.Tests.Uploads.UploadRequests;

namespace Skyport.Tests.Uploads;

/// <summary>/api/tools/fetch validates the whole request before queueing anything: all datasets, or none.</summary>
public class FetchValidationTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    private static object Pasted(string content, string ext = "auto") => new { src = "pasted", paste_content = content, ext };

    private async Task AssertHistoryEmptyAsync(HttpClient client, string historyId)
    {
        var contents = await client.ContentsAsync(historyId);
        Assert.Empty(contents.EnumerateArray());
        var jobs = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/jobs?history_id={historyId}"));
        Assert.Empty(jobs.EnumerateArray());
    }

    [Fact]
    public async Task Fetch_WithoutHistoryId_Returns400007()
    {
        using var client = await Server.NewUserAsync();
        var response = await client.PostAsJsonAsync("/api/tools/fetch", new { targets = new[] { HdasTarget(Pasted("a\n")) } });
        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400007);
        Assert.Contains("history_id", message);
    }

    [Fact]
    public async Task Fetch_WithoutTargets_Returns400007()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var message = await GalaxyAssert.ErrorAsync(await client.PostAsJsonAsync("/api/tools/fetch", new { history_id = historyId }),
            HttpStatusCode.BadRequest, 400007);
        Assert.Contains("targets", message);
        await AssertHistoryEmptyAsync(client, historyId);
    }

    [Fact]
    public async Task Fetch_WithUnknownExtension_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var response = await client.PostAsJsonAsync("/api/tools/fetch", Fetch(historyId, Pasted("a\n", ext: "no-such-datatype")));
        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
        Assert.Contains("no-such-datatype", message);
        await AssertHistoryEmptyAsync(client, historyId);
    }

    [Fact]
    public async Task Fetch_WithIncompleteSession_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var sessionId = await client.CreateTusSessionAsync(100);
        (await client.PatchAsync(sessionId, 0, new byte[40])).EnsureSuccessStatusCode();

        var response = await client.PostAsJsonAsync("/api/tools/fetch", FetchFromSession(historyId, sessionId, "partial.bin"));

        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
        Assert.Contains("incomplete", message);
        await AssertHistoryEmptyAsync(client, historyId);
        // The session is untouched and can still be finished.
        (await client.PatchAsync(sessionId, 40, new byte[60])).EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task Fetch_WithUnsupportedSource_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var response = await client.PostAsJsonAsync("/api/tools/fetch", Fetch(historyId, new { src = "ftp_import", ftp_path = "x.txt" }));
        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
        Assert.Contains("ftp_import", message);
        await AssertHistoryEmptyAsync(client, historyId);
    }

    [Fact]
    public async Task Fetch_WithUnsupportedDestination_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var response = await client.PostAsJsonAsync("/api/tools/fetch", new
        {
            history_id = historyId,
            targets = new[] { new { destination = new { type = "library" }, elements = new[] { Pasted("a\n") } } },
        });
        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
        Assert.Contains("library", message);
        await AssertHistoryEmptyAsync(client, historyId);
    }

    [Fact]
    public async Task Fetch_WithSecondElementInvalid_CreatesNoDataset()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var response = await client.PostAsJsonAsync("/api/tools/fetch",
            Fetch(historyId, Pasted("first\n"), Pasted("second\n", ext: "not-a-type"), Pasted("third\n")));

        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
        await AssertHistoryEmptyAsync(client, historyId);
        // A later valid request gets the first hid: nothing was reserved by the failed one.
        var datasetId = await client.PasteAsync(historyId, "ok\n");
        var dataset = await client.WaitForOkDatasetAsync(datasetId);
        Assert.Equal(1, dataset.GetProperty("hid").GetInt32());
    }

    [Fact]
    public async Task Fetch_WithSecondTargetMissingElements_CreatesNoDataset()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var response = await client.PostAsJsonAsync("/api/tools/fetch", new
        {
            history_id = historyId,
            targets = new object[] { HdasTarget(Pasted("first\n")), new { destination = new { type = "hdas" } } },
        });

        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400007);
        await AssertHistoryEmptyAsync(client, historyId);
    }

    [Fact]
    public async Task Fetch_IntoForeignHistory_Returns403_AndCreatesNothing()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var historyId = await owner.CreateHistoryAsync();

        var response = await other.PostAsJsonAsync("/api/tools/fetch", Fetch(historyId, Pasted("intruder\n")));

        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.Forbidden, 403002);
        await AssertHistoryEmptyAsync(owner, historyId);
    }

    [Fact]
    public async Task Fetch_WithForeignSession_Returns403_AndLeavesSessionToOwner()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var data = RandomBytes(1000, seed: 11);
        var sessionId = await owner.UploadTusAsync(data, chunkSize: 1000);
        var otherHistory = await other.CreateHistoryAsync();

        var response = await other.PostAsJsonAsync("/api/tools/fetch", FetchFromSession(otherHistory, sessionId, "stolen.bin"));

        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.Forbidden, 403002);
        await AssertHistoryEmptyAsync(other, otherHistory);
        var ownerHistory = await owner.CreateHistoryAsync();
        var (datasetId, _) = Assert.Single(await owner.FetchAsync(FetchFromSession(ownerHistory, sessionId, "mine.bin")));
        await owner.WaitForOkDatasetAsync(datasetId);
        Assert.Equal(data, await owner.DownloadAsync(datasetId));
    }

    [Fact]
    public async Task Fetch_SameSessionInSecondRequest_IsRefused_AndFirstDatasetEndsOk()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var data = RandomBytes(200_000, seed: 13);
        var sessionId = await client.UploadTusAsync(data, chunkSize: 100_000);

        // A client that retries its POST (say, after a timeout) must not get a second, doomed dataset.
        var (datasetId, _) = Assert.Single(await client.FetchAsync(FetchFromSession(historyId, sessionId, "once.bin")));
        var retry = await client.PostAsJsonAsync("/api/tools/fetch", FetchFromSession(historyId, sessionId, "once.bin"));

        await GalaxyAssert.ErrorAsync(retry, HttpStatusCode.NotFound, 404001);
        await client.WaitForOkDatasetAsync(datasetId);
        Assert.Equal(data, await client.DownloadAsync(datasetId));
        Assert.Single((await client.ContentsAsync(historyId)).EnumerateArray());
    }

    [Fact]
    public async Task Fetch_Rejected_LeavesNoPastedUploadFilesBehind()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var historyId = await owner.CreateHistoryAsync();
        var before = UploadFiles();

        await GalaxyAssert.ErrorAsync(await owner.PostAsJsonAsync("/api/tools/fetch",
            Fetch(historyId, Pasted("first\n"), Pasted("second\n", ext: "not-a-type"))), HttpStatusCode.BadRequest, 400008);
        await GalaxyAssert.ErrorAsync(await other.PostAsJsonAsync("/api/tools/fetch",
            Fetch(historyId, Pasted("intruder\n"))), HttpStatusCode.Forbidden, 403002);

        Assert.Empty(UploadFiles().Except(before));
    }

    private string[] UploadFiles() => Directory.GetFiles(Path.Combine(Server.DataDir, "uploads"));

    [Fact]
    public async Task Fetch_WithSameSessionTwice_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var sessionId = await client.UploadTusAsync(RandomBytes(10, seed: 12), chunkSize: 10);
        var payload = new Dictionary<string, object?>
        {
            ["history_id"] = historyId,
            ["targets"] = new[] { HdasTarget(new { src = "files" }, new { src = "files" }) },
            ["files_0|file_data"] = new { session_id = sessionId },
            ["files_1|file_data"] = new { session_id = sessionId },
        };

        await GalaxyAssert.ErrorAsync(await client.PostAsJsonAsync("/api/tools/fetch", payload), HttpStatusCode.BadRequest, 400008);
        await AssertHistoryEmptyAsync(client, historyId);
    }
}
