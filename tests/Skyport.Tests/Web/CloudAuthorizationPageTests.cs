using System.Text;
using Microsoft.Playwright;
using Skyport.Tests.CloudStorage;
using Skyport.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;
using static Skyport.Tests.Web.PageApi;

namespace Skyport.Tests.Web;

/// <summary>
/// Azure and Google Cloud authorizations through the guided form in headless Chromium: the trust guide shows this
/// server's and this login's values, "Test connection" gets credentials from the Entra / Google STS doubles, edit and
/// delete go through the service, and the Azure authorization browses Azurite and imports a blob.
/// </summary>
[Collection(WebCollection.Name)]
public sealed class CloudAuthorizationPageTests(S3Fixture fixture, Browser browser) : IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => browser.CloseContextsAsync();

    private static readonly float JobTimeout = 60_000;

    private TestCloud Cloud => fixture.Cloud;

    /// <summary>The guide block for the selected login.</summary>
    private static ILocator Guide(IPage page) => page.Locator("[data-guide-for]:not([hidden])");

    private static ILocator Row(IPage page, string label) => page.Locator("tr", new() { HasText = label });

    [Fact]
    public async Task Azure_CreateTestEditBrowseImportDelete()
    {
        const string tenant = "3f2a1b0c-9d8e-4f7a-a6b5-c4d3e2f1a0b9";
        var clientId = Guid.NewGuid().ToString();
        await Cloud.RegisterEntraAppAsync(new EntraApp(tenant, clientId, Federated: [new FederatedCredential(Cloud.Issuer, fixture.Subject, TestCloud.ClientId)]));
        var page = await SignInWithProviderAsync(browser, fixture);
        var historyId = await NewHistoryAsync(page, "From Azure");

        await page.GetByRole(AriaRole.Link, new() { Name = "Cloud authorizations" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "New Azure authorization" }).ClickAsync();
        await Expect(page.Locator("h1")).ToHaveTextAsync("New Azure authorization");
        // The federated credential to add in Entra: this server's issuer, this login's subject, and the client id Skyport signs in with.
        var federated = Guide(page).Locator("li dl.facts dd");
        await Expect(federated).ToHaveTextAsync([Cloud.Issuer, fixture.Subject, TestCloud.ClientId]);
        await page.GetByLabel("Description").FillAsync("Web UI container");
        await page.GetByLabel("Tenant (directory) id").FillAsync(tenant);
        await page.GetByLabel("Application (client) id").FillAsync(clientId);
        await page.GetByLabel("Storage account URL").FillAsync(Cloud.AzureBlob.ToString().TrimEnd('/'));
        await Browser.ScreenshotAsync(page, "15-authorization-new-azure");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create authorization" }).ClickAsync();

        await page.WaitForURLAsync("**/cloud/authz");
        await Expect(page.Locator(".flash.info")).ToContainTextAsync("Saved Azure: Web UI container.");
        var row = Row(page, "Azure: Web UI container");
        var authzId = await row.GetAttributeAsync("data-authz");
        // Each row's buttons name the authorization they act on, for screen readers.
        await page.GetByRole(AriaRole.Button, new() { Name = "Test connection of Azure: Web UI container", Exact = true }).ClickAsync();
        await Expect(page.Locator(".flash.info")).ToContainTextAsync("Connection works: Azure issued credentials");

        await page.GetByRole(AriaRole.Link, new() { Name = "Edit Azure: Web UI container", Exact = true }).ClickAsync();
        await Expect(page.GetByLabel("Tenant (directory) id")).ToHaveValueAsync(tenant);
        await Expect(page.GetByLabel("Application (client) id")).ToHaveValueAsync(clientId);
        await Expect(page.GetByLabel("Login Skyport uses (keyless)")).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(".+"));
        await page.GetByLabel("Description").FillAsync("Web UI container, edited");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.WaitForURLAsync("**/cloud/authz");
        await Expect(Row(page, "Azure: Web UI container, edited")).ToHaveCountAsync(1);
        var saved = await GetJsonAsync(page, $"/api/cloud/authz/{authzId}");
        Assert.Equal("Web UI container, edited", saved.GetProperty("description").GetString());
        Assert.Equal(clientId, saved.GetProperty("config").GetProperty("client_id").GetString());
        Assert.False(string.IsNullOrEmpty(saved.GetProperty("authn_id").GetString()));
        await Browser.ScreenshotAsync(page, "16-authorizations-azure");

        // Browse the container through the edited authorization and import one blob.
        var container = $"web{Guid.NewGuid():N}"[..20];
        var wanted = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Range(0, 2_000).Select(i => $"@r{i}\nACGTACGT\n+\nIIIIIIII\n")));
        await Cloud.CreateAzureContainerAsync(container);
        await Cloud.PutAzureBlobAsync(container, "runs/run1.fastq", wanted);
        await Cloud.PutAzureBlobAsync(container, "runs/run2.fastq", Encoding.ASCII.GetBytes("@x\nA\n+\nI\n"));
        await page.GetByRole(AriaRole.Link, new() { Name = "Bucket browser" }).ClickAsync();
        await page.GetByLabel("Authorization").SelectOptionAsync(authzId!);
        await page.GetByLabel("Bucket (or container)").FillAsync(container);
        await page.GetByRole(AriaRole.Button, new() { Name = "List" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "📁 runs/" }).ClickAsync();
        await page.GetByLabel("run1.fastq").CheckAsync();
        await page.GetByLabel("Into history").SelectOptionAsync(historyId);
        await Expect(page.Locator("#browse-status")).ToContainTextAsync("2 item(s) shown · 1 object(s) selected");
        await Browser.ScreenshotAsync(page, "17-bucket-browser-azure");
        await page.GetByRole(AriaRole.Button, new() { Name = "Import selected" }).ClickAsync();

        await page.WaitForURLAsync($"**/histories/{historyId}");
        await Expect(page.Locator(".flash.info")).ToContainTextAsync($"Importing 1 object(s) from {container}.");
        var imported = page.Locator("tr", new() { Has = page.GetByText("runs/run1.fastq", new() { Exact = true }) });
        await Expect(imported.Locator("[data-badge]")).ToHaveTextAsync("ok", new() { Timeout = JobTimeout });
        await Expect(page.GetByText("runs/run2.fastq")).ToHaveCountAsync(0);
        var dataset = (await DatasetsByNameAsync(page, historyId))["runs/run1.fastq"];
        Assert.Equal(Md5(wanted), Md5Of(dataset));

        await page.GetByRole(AriaRole.Link, new() { Name = "Cloud authorizations" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Delete Azure: Web UI container, edited", Exact = true }).ClickAsync();
        await Expect(page.Locator(".flash.info")).ToContainTextAsync("Deleted the authorization.");
        await Expect(page.Locator($"tr[data-authz=\"{authzId}\"]")).ToHaveCountAsync(0);
        var gone = await page.APIRequest.GetAsync($"/api/cloud/authz/{authzId}");
        Assert.Equal(404, gone.Status);
    }

    [Fact]
    public async Task Gcp_CreateShowsTheExactPrincipal_TestEditDelete()
    {
        var pool = Guid.NewGuid().ToString("N")[..10];
        var audience = $"//iam.googleapis.com/projects/987654321/locations/global/workloadIdentityPools/web-{pool}/providers/oidc-{pool}";
        var principal = $"principal://iam.googleapis.com/projects/987654321/locations/global/workloadIdentityPools/web-{pool}/subject/{fixture.Subject}";
        var serviceAccount = $"web-{pool}@lab-project.iam.gserviceaccount.com";
        await Cloud.RegisterGooglePoolAsync(new GooglePool(audience, Cloud.Issuer, [TestCloud.ClientId]));
        await Cloud.RegisterGoogleServiceAccountAsync(serviceAccount, [principal]);
        var page = await SignInWithProviderAsync(browser, fixture);

        await page.GotoAsync("/cloud/authz");
        await page.GetByRole(AriaRole.Link, new() { Name = "New Google Cloud authorization" }).ClickAsync();
        // The pool provider to create: this server's issuer and the client id it signs in with.
        await Expect(Guide(page).Locator("dl.facts dd")).ToHaveTextAsync([Cloud.Issuer, TestCloud.ClientId, fixture.Subject]);
        await Expect(Guide(page)).ToContainTextAsync($"issuer URL {Cloud.Issuer}");
        await Expect(Guide(page)).ToContainTextAsync($"allowed audiences {TestCloud.ClientId}");
        await page.GetByLabel("Description").FillAsync("Web UI bucket on GCS");
        await page.GetByLabel("Workload identity pool provider").FillAsync(audience);
        await page.GetByLabel("Service account to impersonate").FillAsync(serviceAccount);
        await page.GetByRole(AriaRole.Button, new() { Name = "Create authorization" }).ClickAsync();

        await page.WaitForURLAsync("**/cloud/authz");
        var row = Row(page, "Google Cloud: Web UI bucket on GCS");
        var authzId = await row.GetAttributeAsync("data-authz");
        await row.GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Expect(page.Locator(".flash.info")).ToContainTextAsync("Connection works: Google Cloud issued credentials");

        // With the pool known, the guide names the exact principal the service account must trust: the one the IAM double was given.
        await Row(page, "Google Cloud: Web UI bucket on GCS").GetByRole(AriaRole.Link, new() { Name = "Edit" }).ClickAsync();
        await Expect(Guide(page).Locator("pre.policy")).ToHaveTextAsync(principal);
        await Expect(page.GetByLabel("Workload identity pool provider")).ToHaveValueAsync(audience);
        await Browser.ScreenshotAsync(page, "18-authorization-edit-gcp");
        await page.GetByLabel("Service account to impersonate").FillAsync($"other-{pool}@lab-project.iam.gserviceaccount.com");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await page.WaitForURLAsync("**/cloud/authz");
        Assert.Equal($"other-{pool}@lab-project.iam.gserviceaccount.com",
            (await GetJsonAsync(page, $"/api/cloud/authz/{authzId}")).GetProperty("config").GetProperty("service_account_email").GetString());

        // A service account that does not trust this login: the cloud's refusal is shown.
        await Row(page, "Google Cloud: Web UI bucket on GCS").GetByRole(AriaRole.Button, new() { Name = "Test connection" }).ClickAsync();
        await Expect(page.Locator(".flash.error")).ToContainTextAsync("Connection failed:");
        await Browser.ScreenshotAsync(page, "19-authorizations-test-failed");

        await Row(page, "Google Cloud: Web UI bucket on GCS").GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        await Expect(page.Locator(".flash.info")).ToContainTextAsync("Deleted the authorization.");
        await Expect(page.Locator($"tr[data-authz=\"{authzId}\"]")).ToHaveCountAsync(0);
        Assert.Equal(404, (await page.APIRequest.GetAsync($"/api/cloud/authz/{authzId}")).Status);
    }
}
