using System.Diagnostics;
using System.Text;
using Microsoft.Playwright;
using Skyport.Tests.CloudStorage;
using static Microsoft.Playwright.Assertions;
using static Skyport.Tests.Web.PageApi;

namespace Skyport.Tests.Web;

/// <summary>
/// The history page with the keyboard only (tab order, Enter on the drop area and in forms) in headless Chromium, and a
/// URL the server refuses with its default settings (loopback) showing the server's message on the page.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class HistoryKeyboardTests(S3Fixture fixture, Browser browser) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => browser.CloseContextsAsync();

    private static readonly float JobTimeout = 60_000;

    [Fact]
    public async Task UploadAndSendForms_WorkFromTheKeyboard()
    {
        var page = await SignInWithProviderAsync(browser, fixture);
        var historyId = await NewHistoryAsync(page, "Keyboard only");
        var bucket = await fixture.NewBucketAsync();
        var chosen = Encoding.ASCII.GetBytes("chosen with the keyboard\n");

        // Upload: datatype, dbkey, then the drop area, where Enter opens the file chooser. The chooser is listened for from
        // here on: adding a listener turns on Chromium's interception of choosers by a message Playwright does not wait for,
        // so one added just before the Enter (RunAndWaitForFileChooserAsync) can lose the race, the likely cause of a timeout
        // seen once in a full run.
        var chooserOpened = new TaskCompletionSource<IFileChooser>(TaskCreationOptions.RunContinuationsAsynchronously);
        page.FileChooser += (_, opened) => chooserOpened.TrySetResult(opened);
        await CountClicksOnTheFileInputAsync(page);
        await TabUntilAsync(page, "#upload-ext");
        await ExpectTabOrderAsync(page, "#upload-dbkey");
        await page.Keyboard.TypeAsync("hg19");
        await ExpectTabOrderAsync(page, "#dropzone");
        await Browser.ScreenshotAsync(page, "20-keyboard-dropzone-focus");
        await page.Keyboard.PressAsync("Enter");
        var chooser = await ChooserAsync(page, chooserOpened.Task);
        await chooser.SetFilesAsync(new FilePayload { Name = "chosen.txt", MimeType = "text/plain", Buffer = chosen });
        var uploaded = page.Locator("tr", new() { Has = page.GetByText("chosen.txt", new() { Exact = true }) });
        await Expect(uploaded.Locator("[data-badge]")).ToHaveTextAsync("ok", new() { Timeout = JobTimeout });
        await Expect(uploaded).ToContainTextAsync("hg19");

        // Pasted text: open the disclosure with Enter, type, and submit with Enter in the name field.
        await TabUntilAsync(page, "#upload-form summary");
        await page.Keyboard.PressAsync("Enter");
        await ExpectTabOrderAsync(page, "#paste");
        await page.Keyboard.TypeAsync("typed line\n");
        await ExpectTabOrderAsync(page, "#url");
        await ExpectTabOrderAsync(page, "#fetch-name");
        await page.Keyboard.TypeAsync("typed.txt");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator(".flash.info")).ToContainTextAsync("Queued 1 dataset(s).");
        var typed = page.Locator("tr", new() { Has = page.GetByText("typed.txt", new() { Exact = true }) });
        await Expect(typed.Locator("[data-badge]")).ToHaveTextAsync("ok", new() { Timeout = JobTimeout });
        Assert.Equal(Md5(Encoding.ASCII.GetBytes("typed line\n")), Md5Of((await DatasetsByNameAsync(page, historyId))["typed.txt"]));
        // The page reloads itself once nothing is pending; its boxes for finished datasets are enabled then.
        await Expect(page.GetByLabel("Select typed.txt to send")).ToBeEnabledAsync();

        // Send: tick a dataset with Space, then authorization, bucket, prefix, conflict policy and the button, in that order.
        await TabUntilAsync(page, "input[aria-label='Select chosen.txt to send']");
        await page.Keyboard.PressAsync("Space");
        await Expect(page.GetByLabel("Select chosen.txt to send")).ToBeCheckedAsync();
        await TabUntilAsync(page, "#send-authz");
        Assert.Equal(fixture.AuthzId, await page.Locator("#send-authz").InputValueAsync());
        await ExpectTabOrderAsync(page, "#send-bucket");
        await page.Keyboard.TypeAsync(bucket);
        await ExpectTabOrderAsync(page, "#send-prefix");
        await page.Keyboard.TypeAsync("keyboard/");
        await ExpectTabOrderAsync(page, "#send-conflict");
        await ExpectTabOrderAsync(page, "#send-form button[type=submit]");
        await page.Keyboard.PressAsync("Shift+Tab");
        await page.Keyboard.PressAsync("Shift+Tab");
        await page.Keyboard.PressAsync("Enter");

        await page.WaitForURLAsync("**/transfers");
        var send = page.Locator("tr", new() { HasText = "Send" }).Filter(new() { HasText = "chosen.txt" });
        await Expect(send.Locator(".state")).ToHaveTextAsync("ok", new() { Timeout = JobTimeout });
        Assert.Equal(chosen, await fixture.ReadAsync(bucket, "keyboard/chosen.txt"));
    }

    [Fact]
    public async Task LoopbackUrl_WithDefaultSettings_ShowsTheServersRefusal()
    {
        var page = await SignInWithProviderAsync(browser, fixture);
        var historyId = await NewHistoryAsync(page, "Refused URL");

        await page.GetByText("Paste text or fetch from a URL").ClickAsync();
        await page.GetByLabel("…or a URL (http or https)").FillAsync("http://127.0.0.1:9/secret.txt");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add", Exact = true }).ClickAsync();

        await Expect(page.Locator(".flash.error")).ToHaveTextAsync(
            "Refusing to fetch 'http://127.0.0.1:9/secret.txt': it points to a loopback, private or link-local address.");
        await Expect(page.GetByText("This history is empty.")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "21-upload-url-refused");
        Assert.Equal(0, (await GetJsonAsync(page, $"/api/histories/{historyId}/contents")).GetArrayLength());
    }

    /// <summary>Presses Tab until <paramref name="selector"/> has the focus (at most 60 times).</summary>
    private static Task CountClicksOnTheFileInputAsync(IPage page) =>
        page.EvaluateAsync("() => { window.fileInputClicks = 0; document.getElementById('upload-files').addEventListener('click', () => window.fileInputClicks++); }");

    /// <summary>The chooser the Enter opened; when none comes, says whether the page's part (clicking the hidden input) happened.</summary>
    private static async Task<IFileChooser> ChooserAsync(IPage page, Task<IFileChooser> opened)
    {
        if (await Task.WhenAny(opened, Task.Delay(TimeSpan.FromSeconds(30))) == opened)
        {
            return await opened;
        }
        var clicks = await page.EvaluateAsync<int>("() => window.fileInputClicks");
        Assert.Fail(clicks == 0
            ? $"Enter on the drop area did not click the file input (focus on {await DescribeFocusAsync(page)})."
            : $"Enter on the drop area clicked the file input {clicks} time(s), but no file chooser reached the test in 30 s.");
        throw new UnreachableException();
    }

    private static async Task TabUntilAsync(IPage page, string selector)
    {
        var seen = new List<string>();
        for (var i = 0; i < 60; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await FocusedIsAsync(page, selector))
            {
                return;
            }
            seen.Add(await DescribeFocusAsync(page));
        }
        Assert.Fail($"Tab never reached {selector}; it went through: {string.Join(", ", seen)}");
    }

    /// <summary>One Tab moves the focus to <paramref name="selector"/>.</summary>
    private static async Task ExpectTabOrderAsync(IPage page, string selector)
    {
        await page.Keyboard.PressAsync("Tab");
        Assert.True(await FocusedIsAsync(page, selector), $"After Tab the focus is on {await DescribeFocusAsync(page)}, not {selector}.");
    }

    private static Task<bool> FocusedIsAsync(IPage page, string selector) =>
        page.EvaluateAsync<bool>("s => document.activeElement !== null && document.activeElement.matches(s)", selector);

    private static Task<string> DescribeFocusAsync(IPage page) =>
        page.EvaluateAsync<string>("() => { const e = document.activeElement; return e ? `${e.tagName.toLowerCase()}#${e.id}` : 'nothing'; }");
}
