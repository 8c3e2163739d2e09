using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Skyport.Tests.CloudStorage;
using Skyport.Tests.Identity;
using Skyport.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using static Skyport.Tests.Web.PageApi;

namespace Skyport.Tests.Web;

/// <summary>
/// The web UI end to end in headless Chromium against the test cloud: sign in through the OIDC provider, make a
/// history, upload a file, authorize AWS (the S3 emulator behind the STS double), browse a bucket, import two
/// objects, send a dataset back and watch its progress. Each page is saved as a screenshot.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class BrowserFlowTests(S3Fixture fixture, Browser browser) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => browser.CloseContextsAsync();

    private static readonly TimeSpan JobTimeout = TimeSpan.FromSeconds(60);

    private async Task<IPage> SignInAsync(string screenshot)
    {
        // The fixture's user: the provider logs the browser in as the same subject, whose role trusts it.
        await fixture.Cloud.SetClaimsAsync(new OidcClaims(Sub: fixture.Subject, Email: $"{fixture.Subject}@example.org"));
        var page = await browser.NewPageAsync(fixture.Server.BaseAddress);
        await page.GotoAsync("/");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin\\?next=%2F$"));
        await Browser.ScreenshotAsync(page, screenshot);
        await page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {IdentityFixture.Provider}" }).ClickAsync();
        await WaitForSignedInAsync(page);
        await Expect(page.Locator(".who")).ToHaveTextAsync($"{fixture.Subject}@example.org");
        return page;
    }

    private static float Timeout => (float)JobTimeout.TotalMilliseconds;

    [Fact]
    public async Task SignIn_Upload_Authorize_Browse_Import_Send()
    {
        var page = await SignInAsync("01-sign-in");
        await Browser.ScreenshotAsync(page, "02-histories-empty");

        // A history.
        await page.GetByLabel("New history").FillAsync("Web UI flow");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("Web UI flow");
        var historyId = page.Url.Split('/')[^1];

        // An upload (resumable, from the browser) that reaches ok.
        var bed = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 40_000).Select(i => $"chr1\t{i * 100}\t{i * 100 + 50}\tpeak{i}\n")));
        await page.GetByLabel("Datatype").SelectOptionAsync("bed");
        await page.GetByLabel("Genome (dbkey)").FillAsync("hg38");
        await page.Locator("#upload-files").SetInputFilesAsync(new[]
        {
            new FilePayload { Name = "peaks.bed", MimeType = "text/plain", Buffer = bed },
            new FilePayload { Name = "notes.bed", MimeType = "text/plain", Buffer = Encoding.ASCII.GetBytes("chr2\t10\t20\tsecond\n") },
        });
        await Expect(page.Locator("#upload-list li")).ToHaveCountAsync(2);
        var uploaded = page.Locator("tr", new() { Has = page.GetByText("peaks.bed", new() { Exact = true }) });
        await Expect(uploaded.Locator("[data-badge]")).ToHaveTextAsync("ok", new() { Timeout = Timeout });
        await Expect(page.Locator("tr", new() { Has = page.GetByText("notes.bed", new() { Exact = true }) }).Locator("[data-badge]")).ToHaveTextAsync("ok");
        await Expect(uploaded).ToContainTextAsync("hg38");
        await Expect(uploaded).ToContainTextAsync("bed");
        await uploaded.GetByText("Peek").ClickAsync();
        await Expect(uploaded.Locator("pre")).ToContainTextAsync("peak0");
        await Browser.ScreenshotAsync(page, "03-history-uploaded");

        // An AWS authorization through the guided form, which shows this login's trust policy.
        await page.GetByRole(AriaRole.Link, new() { Name = "Cloud authorizations" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New AWS authorization" }).ClickAsync();
        await page.GetByLabel("Description").FillAsync("Web UI bucket");
        await page.GetByLabel("Role ARN").FillAsync(fixture.RoleArn);
        await page.GetByLabel("Region").FillAsync("us-east-1");
        await page.GetByLabel("Role session name").FillAsync("skyport-web");
        await page.GetByLabel("S3 endpoint").FillAsync(fixture.Cloud.S3.ToString());
        var policy = page.Locator("pre.policy").First;
        await Expect(policy).ToContainTextAsync("sts:AssumeRoleWithWebIdentity");
        await Expect(policy).ToContainTextAsync($"\"{fixture.Subject}\"");
        await Expect(policy).ToContainTextAsync($"\"{TestCloud.ClientId}\"");
        await Browser.ScreenshotAsync(page, "04-authorization-new-aws");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create authorization" }).ClickAsync();
        await page.WaitForURLAsync("**/cloud/authz");
        var row = page.Locator("tr", new() { HasText = "AWS: Web UI bucket" });
        await row.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Expect(page.Locator(".flash.info")).ToContainTextAsync("Connection works");
        await Browser.ScreenshotAsync(page, "05-authorizations");
        var authzId = await page.Locator("tr", new() { HasText = "AWS: Web UI bucket" }).GetAttributeAsync("data-authz");

        // Browse the emulator's bucket: a folder, two objects in it, and import both.
        var bucket = await fixture.NewBucketAsync();
        var first = Encoding.ASCII.GetBytes("@r1\nACGT\n+\nIIII\n");
        var second = Encoding.ASCII.GetBytes("@r2\nTTGCA\n+\nIIIII\n");
        await fixture.PutAsync(bucket, "reads/sample1.fastq", first);
        await fixture.PutAsync(bucket, "reads/sample2.fastq", second);
        await fixture.PutAsync(bucket, "notes.txt", Encoding.ASCII.GetBytes("not imported\n"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Bucket browser" }).ClickAsync();
        await page.GetByLabel("Authorization").SelectOptionAsync(new SelectOptionValue { Label = "AWS: Web UI bucket" });
        await page.GetByLabel("Bucket (or container)").FillAsync("no-such-bucket-web");
        await page.GetByRole(AriaRole.Button, new() { Name = "List" }).ClickAsync();
        await Expect(page.Locator("#browse-status")).ToContainTextAsync("Could not get the bucket `no-such-bucket-web`");
        await page.GetByLabel("Bucket (or container)").FillAsync(bucket);
        await page.GetByRole(AriaRole.Button, new() { Name = "List" }).ClickAsync();
        await Expect(page.GetByText("notes.txt")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "📁 reads/" }).ClickAsync();
        await page.GetByLabel("sample1.fastq").CheckAsync();
        await page.GetByLabel("sample2.fastq").CheckAsync();
        await page.GetByLabel("Into history").SelectOptionAsync(historyId);
        await Expect(page.Locator("#browse-status")).ToContainTextAsync("2 object(s) selected");
        await Browser.ScreenshotAsync(page, "06-bucket-browser");
        await page.GetByRole(AriaRole.Button, new() { Name = "Import selected" }).ClickAsync();
        await page.WaitForURLAsync($"**/histories/{historyId}");
        await Expect(page.Locator(".flash.info")).ToContainTextAsync("Importing 2 object(s)");
        foreach (var key in new[] { "reads/sample1.fastq", "reads/sample2.fastq" })
        {
            var imported = page.Locator("tr", new() { Has = page.GetByText(key, new() { Exact = true }) });
            await Expect(imported.Locator("[data-badge]")).ToHaveTextAsync("ok", new() { Timeout = Timeout });
        }
        await Expect(page.GetByText("notes.txt")).ToHaveCountAsync(0);
        await Browser.ScreenshotAsync(page, "07-history-imported");

        // Send the upload back to the bucket, then watch the transfer finish.
        await page.GetByLabel("Select peaks.bed to send").CheckAsync();
        await page.Locator("#send-authz").SelectOptionAsync(authzId!);
        await page.Locator("#send-bucket").FillAsync(bucket);
        await page.GetByLabel("Key prefix").FillAsync("results/");
        await page.GetByRole(AriaRole.Button, new() { Name = "Send selected" }).ClickAsync();
        await page.WaitForURLAsync("**/transfers");
        await Expect(page.Locator(".flash.info")).ToContainTextAsync($"Sending 1 dataset(s) to {bucket}");
        var send = page.Locator("tr", new() { HasText = "Send" }).Filter(new() { HasText = "peaks.bed" });
        await Expect(send.Locator(".state")).ToHaveTextAsync("ok", new() { Timeout = Timeout });
        await Expect(send.Locator(".bytes")).ToContainTextAsync($"of {Nice(bed.Length)}");
        await Expect(send.Locator(".details")).ToContainTextAsync("results/peaks.bed");
        await Expect(page.Locator("tr", new() { HasText = "Import" }).Filter(new() { HasText = "reads/sample1.fastq" }).Locator(".state")).ToHaveTextAsync("ok");
        await Browser.ScreenshotAsync(page, "08-transfers");
        Assert.Equal(bed, await fixture.ReadAsync(bucket, "results/peaks.bed"));

        // Still usable on a small laptop screen.
        await page.SetViewportSizeAsync(1024, 700);
        await page.GotoAsync($"/histories/{historyId}");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Send selected" })).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "12-history-at-1024px");
    }

    [Fact]
    public async Task Transfers_ShowTheServersError_AndCancel()
    {
        var page = await SignInAsync("01-sign-in");
        var history = (await GalaxyAssert.OkJsonAsync(await fixture.User.PostAsJsonAsync("/api/histories", new { name = "transfers page" })))
            .GetProperty("id").GetString();
        var bucket = await fixture.NewBucketAsync();
        await fixture.PutAsync(bucket, "corrupt.txt", Encoding.ASCII.GetBytes("these bytes will not match their checksum\n"));
        await fixture.PutAsync(bucket, "slow.txt", Encoding.ASCII.GetBytes("this transfer is cancelled\n"));
        await fixture.Cloud.CorruptS3ObjectAsync(bucket, "corrupt.txt");

        await GetAsync(history!, bucket, "corrupt.txt");
        await page.GotoAsync("/transfers");
        var failed = page.Locator("tr", new() { HasText = "corrupt.txt" });
        await Expect(failed.Locator(".state")).ToHaveTextAsync("error", new() { Timeout = Timeout });
        var jobs = await fixture.User.GetFromJsonAsync<JsonElement>($"/api/jobs?history_id={history}&state=error");
        var stderr = jobs.EnumerateArray().Single().GetProperty("stderr").GetString();
        Assert.False(string.IsNullOrWhiteSpace(stderr));
        await Expect(failed.Locator(".details")).ToHaveTextAsync(stderr!);
        await Expect(failed.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeHiddenAsync();

        // The import's checks (bucket, object) pass at once; the job's own requests then hang until it is cancelled.
        await fixture.Cloud.DelayS3RequestsAsync(TimeSpan.FromSeconds(30), requests: 5, after: 2);
        try
        {
            await GetAsync(history!, bucket, "slow.txt");
            var slow = page.Locator("tr", new() { HasText = "slow.txt" });
            await Expect(slow.Locator(".state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^(queued|running)$"));
            await Browser.ScreenshotAsync(page, "11-transfers-error-and-running");
            await slow.GetByRole(AriaRole.Button, new() { Name = "Cancel slow.txt" }).ClickAsync();
            await Expect(slow.Locator(".state")).ToHaveTextAsync("deleted", new() { Timeout = Timeout });
            await Expect(slow.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToBeHiddenAsync();
        }
        finally
        {
            await fixture.Cloud.ClearS3FaultsAsync();
        }
    }

    private async Task GetAsync(string history, string bucket, string key) =>
        await GalaxyAssert.OkJsonAsync(await fixture.User.PostAsJsonAsync("/api/cloud/storage/get",
            new { history_id = history, authz_id = fixture.AuthzId, bucket, objects = new[] { key } }));

    [Fact]
    public async Task ApiKey_And_Identities_Pages()
    {
        var page = await SignInAsync("01-sign-in");

        await page.GetByRole(AriaRole.Link, new() { Name = "Identities" }).ClickAsync();
        var identity = page.Locator("tbody tr");
        await Expect(identity).ToHaveCountAsync(1);
        await Expect(identity).ToContainTextAsync($"{fixture.Subject}@example.org");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = $"Link a {IdentityFixture.Provider} login" })).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "09-identities");

        await page.GetByRole(AriaRole.Link, new() { Name = "API key" }).ClickAsync();
        await Expect(page.Locator("#new-key")).ToHaveCountAsync(0);
        await page.GetByRole(AriaRole.Button, new() { Name = "Make a new API key" }).ClickAsync();
        var key = await page.Locator("#new-key").InputValueAsync();
        Assert.Matches("^[0-9a-f]{32}$", key);
        await Browser.ScreenshotAsync(page, "10-api-key");
        using (var client = fixture.Server.Client(key))
        {
            var me = await client.GetFromJsonAsync<JsonElement>("/api/users/current");
            Assert.Equal($"{fixture.Subject}@example.org", me.GetProperty("email").GetString());
        }
        await page.GotoAsync("/account/apikey");
        Assert.DoesNotContain(key, await page.ContentAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await page.WaitForURLAsync("**/signin");
        await page.GotoAsync("/histories");
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/signin\\?next="));
    }

    /// <summary>The transfers page's byte formatting (decimal units, one decimal).</summary>
    private static string Nice(long bytes)
    {
        double n = bytes;
        var units = new[] { "B", "KB", "MB", "GB" };
        var i = 0;
        while (n >= 1000 && i < units.Length - 1)
        {
            n /= 1000;
            i++;
        }
        return i == 0 ? $"{bytes} B" : $"{n.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} {units[i]}";
    }
}
