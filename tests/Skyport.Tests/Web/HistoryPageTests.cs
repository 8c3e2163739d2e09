using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Web;

/// <summary>The history page's forms over plain HTTP: each goes through the API's services and shows their refusals.</summary>
public sealed class HistoryPageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    /// <summary>A local account signed in with its password through the sign-in page.</summary>
    private async Task<HttpClient> SignInAsync()
    {
        var email = $"page-{Guid.NewGuid():N}@example.org";
        using (var admin = Server.Admin())
        {
            await GalaxyAssert.OkJsonAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = "page-password" }));
        }
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };
        var signedIn = await WebForms.PostAsync(http, "/signin", "/signin", ("email", email), ("password", "page-password"));
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        return http;
    }

    private static async Task<string> NewHistoryAsync(HttpClient http) =>
        (await GalaxyAssert.OkJsonAsync(await http.PostAsJsonAsync("/api/histories", new { name = "page tests" }))).GetProperty("id").GetString()!;

    private static async Task<JsonElement> WaitForDatasetAsync(HttpClient http, string history)
    {
        for (var i = 0; i < 200; i++)
        {
            var contents = await http.GetFromJsonAsync<JsonElement>($"/api/histories/{history}/contents");
            if (contents.GetArrayLength() > 0 && contents[0].GetProperty("state").GetString() is "ok" or "error")
            {
                return contents[0];
            }
            await Task.Delay(100);
        }
        throw new TimeoutException("The dataset did not finish.");
    }

    [Fact]
    public async Task PastedText_BecomesADataset_WithTheChosenDatatypeAndDbkey()
    {
        using var http = await SignInAsync();
        var history = await NewHistoryAsync(http);
        var page = $"/histories/{history}";

        var posted = await WebForms.PostAsync(http, page, $"{page}?handler=Fetch",
            ("paste", "chr1\t1\t2\tx\n"), ("name", "pasted.bed"), ("ext", "bed"), ("dbkey", "hg19"), ("url", ""));

        Assert.Equal(page, posted.Headers.Location!.OriginalString);
        var item = await WaitForDatasetAsync(http, history);
        var dataset = await http.GetFromJsonAsync<JsonElement>($"/api/datasets/{item.GetProperty("id").GetString()}");
        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        Assert.Equal("pasted.bed", dataset.GetProperty("name").GetString());
        Assert.Equal("bed", dataset.GetProperty("extension").GetString());
        Assert.Equal("hg19", dataset.GetProperty("genome_build").GetString());
        var html = await http.GetStringAsync(page);
        Assert.Contains("pasted.bed", html);
        Assert.Contains($"/api/datasets/{dataset.GetProperty("id").GetString()}/display?to_ext=bed", html);
    }

    [Fact]
    public async Task RefusedUrl_ShowsTheServicesMessage_AndQueuesNothing()
    {
        using var http = await SignInAsync();
        var history = await NewHistoryAsync(http);
        var page = $"/histories/{history}";

        var posted = await WebForms.PostAsync(http, page, $"{page}?handler=Fetch", ("url", "ftp://example.org/x.bed"), ("paste", ""), ("ext", "auto"));

        Assert.Equal(page, posted.Headers.Location!.OriginalString);
        var html = await http.GetStringAsync(page);
        Assert.Contains("class=\"flash error\"", html);
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>($"/api/histories/{history}/contents")).GetArrayLength());
    }

    [Fact]
    public async Task DatasetForms_RenameAndDelete()
    {
        using var http = await SignInAsync();
        var history = await NewHistoryAsync(http);
        var page = $"/histories/{history}";
        await WebForms.PostAsync(http, page, $"{page}?handler=Fetch", ("paste", "hello\n"), ("name", "before"), ("ext", "txt"));
        var id = (await WaitForDatasetAsync(http, history)).GetProperty("id").GetString()!;

        await WebForms.PostAsync(http, page, $"{page}?handler=Rename", ("datasetId", id), ("name", "after"), ("dbkey", "mm10"));
        var renamed = await http.GetFromJsonAsync<JsonElement>($"/api/datasets/{id}");
        Assert.Equal("after", renamed.GetProperty("name").GetString());
        Assert.Equal("mm10", renamed.GetProperty("genome_build").GetString());

        await WebForms.PostAsync(http, page, $"{page}?handler=Rename", ("datasetId", id), ("name", "after"), ("dbkey", "not a dbkey!"));
        Assert.Contains("Invalid dbkey", await http.GetStringAsync(page));

        await WebForms.PostAsync(http, page, $"{page}?handler=Delete", ("datasetId", id));
        Assert.True((await http.GetFromJsonAsync<JsonElement>($"/api/datasets/{id}")).GetProperty("deleted").GetBoolean());
        Assert.DoesNotContain("data-dataset=\"" + id, await http.GetStringAsync(page));
    }

    [Fact]
    public async Task Paging_ShowsTwentyFivePerPage()
    {
        using var http = await SignInAsync();
        var history = await NewHistoryAsync(http);
        var elements = Enumerable.Range(1, 27).Select(i => new { src = "pasted", paste_content = $"line {i}\n", name = $"item-{i:00}", ext = "txt" }).ToArray();
        await GalaxyAssert.OkJsonAsync(await http.PostAsJsonAsync("/api/tools/fetch",
            new { history_id = history, targets = new[] { new { destination = new { type = "hdas" }, elements } } }));

        var first = await http.GetStringAsync($"/histories/{history}");
        var second = await http.GetStringAsync($"/histories/{history}?offset=25");

        Assert.Contains(">item-25<", first);
        Assert.DoesNotContain(">item-26<", first);
        Assert.Contains($"href=\"/histories/{history}?offset=25\"", first);
        Assert.Contains(">item-26<", second);
        Assert.Contains(">item-27<", second);
        Assert.DoesNotContain(">item-01<", second);
    }

    [Fact]
    public async Task Send_WithoutSelection_AsksForOne()
    {
        using var http = await SignInAsync();
        var history = await NewHistoryAsync(http);
        var page = $"/histories/{history}";

        var posted = await WebForms.PostAsync(http, page, $"{page}?handler=Send", ("authzId", "0123456789abcdef"), ("bucket", "b"));

        Assert.Equal(page, posted.Headers.Location!.OriginalString);
        Assert.Contains("Select the datasets to send first.", await http.GetStringAsync(page));
    }
}
