using Microsoft.Playwright;
using Skyport.Tests.CloudStorage;
using Skyport.Tests.Identity;
using static Microsoft.Playwright.Assertions;
using static Skyport.Tests.Web.PageApi;

namespace Skyport.Tests.Web;

/// <summary>A screen reader hears which row a button acts on: each row's buttons carry their object's name.</summary>
[Collection(WebCollection.Name)]
public sealed class AccessibleNamesTests(S3Fixture fixture, Browser browser) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => browser.CloseContextsAsync();

    [Fact]
    public async Task RowButtons_NameTheirObject()
    {
        var page = await SignInWithProviderAsync(browser, fixture);
        var name = $"Named {Guid.NewGuid():N}"[..14];
        await NewHistoryAsync(page, name);

        await page.GotoAsync("/histories");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Rename {name}", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Delete {name}", Exact = true })).ToBeVisibleAsync();
        await Expect(page.GetByRole(AriaRole.Textbox, new() { Name = $"New name for {name}", Exact = true })).ToBeVisibleAsync();

        await page.GotoAsync("/account/identities");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = $"Unlink {IdentityFixture.Provider} {fixture.Subject}@example.org", Exact = true }))
            .ToBeVisibleAsync();

        await page.GotoAsync("/cloud/authz");
        var aws = $"AWS: {fixture.RoleArn}";
        var row = page.Locator($"tr[data-authz=\"{fixture.AuthzId}\"]");
        await Expect(row.GetByRole(AriaRole.Link, new() { Name = $"Edit {aws}", Exact = true })).ToBeVisibleAsync();
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = $"Test connection of {aws}", Exact = true })).ToBeVisibleAsync();
        await Expect(row.GetByRole(AriaRole.Link, new() { Name = $"Browse {aws}", Exact = true })).ToBeVisibleAsync();
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = $"Delete {aws}", Exact = true })).ToBeVisibleAsync();
    }
}
