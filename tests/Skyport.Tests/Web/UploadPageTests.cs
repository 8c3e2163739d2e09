using System.Security.Cryptography;
using System.Text;
using Microsoft.Playwright;
using Skyport.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using static Skyport.Tests.Web.PageApi;

namespace Skyport.Tests.Web;

/// <summary>
/// The history page's upload area in headless Chromium: files dropped on it, a resumable upload whose connection
/// drops part way, and a URL fetched by the server. The server allows loopback URLs and records the TUS requests it gets.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class UploadPageTests(UploadServerFixture fixture, Browser browser) : IClassFixture<UploadServerFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => browser.CloseContextsAsync();

    private static readonly float JobTimeout = 60_000;

    /// <summary>The page's TUS chunk (upload.js).</summary>
    private const int ChunkBytes = 8 * 1024 * 1024;

    private async Task<(IPage Page, string HistoryId)> SignInWithHistoryAsync(string historyName)
    {
        var (email, password) = await fixture.NewAccountAsync();
        var page = await browser.NewPageAsync(fixture.Server.BaseAddress);
        await page.GotoAsync("/signin");
        await page.GetByLabel("Email or username").FillAsync(email);
        await page.GetByLabel("Password").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await WaitForSignedInAsync(page);
        return (page, await NewHistoryAsync(page, historyName));
    }

    [Fact]
    public async Task DroppedFiles_EachUploadOverTus_WithItsOwnProgressBar_AndReachOk()
    {
        var (page, historyId) = await SignInWithHistoryAsync("Dropped files");
        var files = new Dictionary<string, byte[]>
        {
            ["random.bin"] = RandomNumberGenerator.GetBytes(1_500_000),
            ["regions.bed"] = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"chr2\t{i * 10}\t{i * 10 + 5}\tr{i}\n"))),
            ["tiny.txt"] = Encoding.ASCII.GetBytes("one line\n"),
        };
        var before = fixture.Tus.Requests.Count;
        var dataTransfer = await page.EvaluateHandleAsync(
            """
            (files) => {
              const transfer = new DataTransfer();
              for (const f of files) {
                const binary = atob(f.data);
                const bytes = new Uint8Array(binary.length);
                for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
                transfer.items.add(new File([bytes], f.name, { type: "application/octet-stream" }));
              }
              return transfer;
            }
            """,
            files.Select(f => new { name = f.Key, data = Convert.ToBase64String(f.Value) }).ToArray());
        var zone = page.Locator("#dropzone");

        // Dropped beside the drop area: the browser must not open the files in place of the page, and nothing is uploaded.
        Assert.True(await page.EvaluateAsync<bool>(
            """
            (transfer) => {
              const drop = new DragEvent("drop", { dataTransfer: transfer, bubbles: true, cancelable: true });
              document.querySelector("h1").dispatchEvent(drop);
              return drop.defaultPrevented;
            }
            """, dataTransfer), "A drop outside the drop area was left to the browser, which would leave the page.");
        await Expect(page.Locator("#upload-list li")).ToHaveCountAsync(0);

        await zone.DispatchEventAsync("dragover", new { dataTransfer });
        await Expect(zone).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\bover\\b"));
        await zone.DispatchEventAsync("drop", new { dataTransfer });

        await Expect(zone).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex("\\bover\\b"));
        await Expect(page.Locator("#upload-list li")).ToHaveCountAsync(files.Count);
        foreach (var name in files.Keys)
        {
            await Expect(page.GetByRole(AriaRole.Progressbar, new() { Name = $"Upload of {name}" })).ToHaveAttributeAsync("value", "100", new() { Timeout = JobTimeout });
        }
        await Browser.ScreenshotAsync(page, "13-upload-dropped");
        foreach (var name in files.Keys)
        {
            var row = page.Locator("tr", new() { Has = page.GetByText(name, new() { Exact = true }) });
            await Expect(row.Locator("[data-badge]")).ToHaveTextAsync("ok", new() { Timeout = JobTimeout });
        }

        // Each file had a TUS session of its own, declared with its length and filled by PATCHes.
        var tus = fixture.Tus.Requests.Skip(before).ToList();
        var created = tus.Where(r => r.Method == "POST").ToList();
        Assert.Equal(files.Values.Select(f => (long)f.Length).Order(), created.Select(r => r.UploadLength!.Value).Order());
        foreach (var session in created)
        {
            Assert.Equal(session.UploadLength, tus.Where(r => r.Session == session.Session && r.Method == "PATCH").Sum(r => r.BodyBytes));
        }
        var datasets = await DatasetsByNameAsync(page, historyId);
        foreach (var (name, bytes) in files)
        {
            Assert.Equal("ok", datasets[name].GetProperty("state").GetString());
            Assert.Equal(bytes.Length, datasets[name].GetProperty("file_size").GetInt64());
            Assert.Equal(Md5(bytes), Md5Of(datasets[name]));
        }
    }

    [Fact]
    public async Task Upload_WhoseConnectionDrops_ResumesFromTheServersOffset()
    {
        var (page, historyId) = await SignInWithHistoryAsync("Resumed upload");
        var bytes = RandomNumberGenerator.GetBytes(2 * ChunkBytes + 3_000_000);
        using var folder = new TempFile(bytes, "resumed.bin");
        var before = fixture.Tus.Requests.Count;
        // The second chunk's connection drops after 3 MB of it have reached the server.
        fixture.Tus.CutNextPatch(bytes: 3_000_000, atOrAfterOffset: 1);

        await page.Locator("#upload-files").SetInputFilesAsync(folder.Path);

        var row = page.Locator("tr", new() { Has = page.GetByText("resumed.bin", new() { Exact = true }) });
        await Expect(row.Locator("[data-badge]")).ToHaveTextAsync("ok", new() { Timeout = JobTimeout });
        var session = Assert.Single(fixture.Tus.Requests.Skip(before), r => r.Method == "POST").Session;
        var requests = fixture.Tus.For(session);
        var cut = Assert.Single(requests, r => r.Cut);
        Assert.Equal(ChunkBytes, cut.RequestOffset);
        // After the drop the page asked the server where to go on (HEAD), and the next PATCH started exactly there.
        var afterCut = requests.SkipWhile(r => !r.Cut).Skip(1).ToList();
        var head = afterCut.First(r => r.Method == "HEAD");
        Assert.InRange(head.AnsweredOffset!.Value, ChunkBytes, ChunkBytes + 3_000_000);
        var resumed = afterCut.SkipWhile(r => r.Method != "HEAD").Where(r => r.Method == "PATCH" && r.AnsweredOffset is not null).First();
        Assert.Equal(head.AnsweredOffset, resumed.RequestOffset);
        var patched = requests.Where(r => r.Method == "PATCH").Sum(r => r.BodyBytes);
        Assert.True(patched < 2L * bytes.Length, $"{patched} bytes PATCHed for a {bytes.Length}-byte file: the upload restarted.");
        var dataset = (await DatasetsByNameAsync(page, historyId))["resumed.bin"];
        Assert.Equal(bytes.Length, dataset.GetProperty("file_size").GetInt64());
        Assert.Equal(Md5(bytes), Md5Of(dataset));
    }

    [Fact]
    public async Task UrlFromThePage_IsFetchedByTheServer_AndReachesOk()
    {
        var (page, historyId) = await SignInWithHistoryAsync("From a URL");
        var content = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 5_000).Select(i => $"chr3\t{i}\t{i + 1}\tgene{i}\n")));
        await using var origin = await OriginServer.StartAsync(async (context, _) =>
        {
            context.Response.ContentType = "text/plain";
            await context.Response.Body.WriteAsync(content);
        });

        await page.GetByText("Paste text or fetch from a URL").ClickAsync();
        await page.GetByLabel("…or a URL (http or https)").FillAsync(origin.Url("/data/genes.bed"));
        await page.GetByLabel("Dataset name (optional)").FillAsync("genes from url");
        await page.GetByLabel("Datatype").SelectOptionAsync("bed");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();

        await Expect(page.Locator(".flash.info")).ToContainTextAsync("Queued 1 dataset(s).");
        var row = page.Locator("tr", new() { Has = page.GetByText("genes from url", new() { Exact = true }) });
        await Expect(row.Locator("[data-badge]")).ToHaveTextAsync("ok", new() { Timeout = JobTimeout });
        await Expect(row).ToContainTextAsync("bed");
        await Browser.ScreenshotAsync(page, "14-upload-from-url");
        Assert.Equal(1, origin.Hits("/data/genes.bed"));
        var dataset = (await DatasetsByNameAsync(page, historyId))["genes from url"];
        Assert.Equal(Md5(content), Md5Of(dataset));
    }

    /// <summary>A file on disk with the given name, for the page's file input.</summary>
    private sealed class TempFile : IDisposable
    {
        private readonly string _folder = TempFolder.Create("skyport-upload");

        public TempFile(byte[] bytes, string name)
        {
            Path = System.IO.Path.Combine(_folder, name);
            File.WriteAllBytes(Path, bytes);
        }

        public string Path { get; }

        public void Dispose() => Directory.Delete(_folder, recursive: true);
    }
}
