using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Playwright;
using Skyport.Tests.CloudStorage;
using Skyport.Tests.Identity;
using Skyport.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Skyport.Tests.Web;

/// <summary>What the browser tests check behind the page: the API answers with the page's own session, and datasets' MD5s.</summary>
public static class PageApi
{
    /// <summary>
    /// After the sign-in button or link: the browser lands on the histories, signed in. The first sign-in after a fixture
    /// starts can be slow on a busy machine (the server meets the provider for the first time; the suite's fixtures start
    /// together); a sign-in that ends elsewhere says where, and what that page says. The landing is told by the URL and
    /// the signed-in user's name on the page, both polled, not by the load event: after the redirects through the provider,
    /// full runs have had the histories page rendered while Playwright waited 60 s for its load event (only "networkidle"
    /// fired). <c>WaitForURLAsync</c> waits for a load state whenever the URL already matches, even with
    /// <c>WaitUntil = Commit</c>, so it is not used here.
    /// </summary>
    public static async Task WaitForSignedInAsync(IPage page)
    {
        try
        {
            await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/histories$"), new() { Timeout = 60_000 });
            await Expect(page.Locator(".who")).ToBeVisibleAsync(new() { Timeout = 60_000 });
        }
        catch (Exception e) when (e is TimeoutException or PlaywrightException)
        {
            throw new TimeoutException($"Signing in ended at {page.Url}: {await page.Locator("main").InnerTextAsync()}", e);
        }
    }

    /// <summary>The S3 fixture's user signs in through the OIDC provider (its subject, whose AWS role trusts it).</summary>
    public static async Task<IPage> SignInWithProviderAsync(Browser browser, S3Fixture fixture)
    {
        await fixture.Cloud.SetClaimsAsync(new OidcClaims(Sub: fixture.Subject, Email: $"{fixture.Subject}@example.org"));
        var page = await browser.NewPageAsync(fixture.Server.BaseAddress);
        await page.GotoAsync("/signin");
        await page.GetByRole(AriaRole.Link, new() { Name = $"Sign in with {IdentityFixture.Provider}" }).ClickAsync();
        await WaitForSignedInAsync(page);
        await Expect(page.Locator(".who")).ToHaveTextAsync($"{fixture.Subject}@example.org");
        return page;
    }

    /// <summary>
    /// Makes a history through the histories page's form and opens it, returning once the page's scripts have run: the
    /// heading shows as soon as it is parsed, and a key pressed before the deferred scripts run reaches no handler (on a
    /// busy machine Enter on the drop area then opened no file chooser).
    /// </summary>
    public static async Task<string> NewHistoryAsync(IPage page, string name)
    {
        await page.GotoAsync("/histories");
        await page.GetByLabel("New history").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync(name);
        await page.WaitForLoadStateAsync(LoadState.Load);
        return page.Url.Split('/')[^1];
    }

    public static async Task<JsonElement> GetJsonAsync(IPage page, string path)
    {
        var response = await page.APIRequest.GetAsync(path);
        Assert.True(response.Ok, $"GET {path}: {response.Status} {await response.TextAsync()}");
        return JsonDocument.Parse(await response.BodyAsync()).RootElement.Clone();
    }

    /// <summary>The history's datasets (full details) by name.</summary>
    public static async Task<Dictionary<string, JsonElement>> DatasetsByNameAsync(IPage page, string historyId)
    {
        var result = new Dictionary<string, JsonElement>();
        foreach (var item in (await GetJsonAsync(page, $"/api/histories/{historyId}/contents")).EnumerateArray())
        {
            var dataset = await GetJsonAsync(page, $"/api/datasets/{item.GetProperty("id").GetString()}");
            result[dataset.GetProperty("name").GetString()!] = dataset;
        }
        return result;
    }

    public static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));

    public static string? Md5Of(JsonElement dataset) => dataset.GetProperty("hashes").EnumerateArray()
        .Where(h => h.GetProperty("hash_function").GetString() == "MD5").Select(h => h.GetProperty("hash_value").GetString()).SingleOrDefault();
}
