using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Web;

/// <summary>The authorization form over plain HTTP: the service's validation shows through, and secrets are kept, never shown.</summary>
public sealed class AuthorizationPageTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    private async Task<HttpClient> SignInAsync()
    {
        var email = $"authz-{Guid.NewGuid():N}@example.org";
        using (var admin = Server.Admin())
        {
            await GalaxyAssert.OkJsonAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = "authz-password" }));
        }
        var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };
        Assert.Equal(HttpStatusCode.Redirect, (await WebForms.PostAsync(http, "/signin", "/signin", ("email", email), ("password", "authz-password"))).StatusCode);
        return http;
    }

    [Fact]
    public async Task New_WithMalformedRoleArn_ShowsTheServicesFieldError()
    {
        using var http = await SignInAsync();
        const string page = "/cloud/authz/edit?provider=aws";

        var posted = await WebForms.PostAsync(http, page, "/cloud/authz/edit?provider=aws", ("provider", "aws"), ("config.role_arn", "not-an-arn"), ("authnId", ""));

        Assert.Equal(page, posted.Headers.Location!.OriginalString);
        Assert.Contains("&#x27;config.role_arn&#x27; must be an IAM role ARN", await http.GetStringAsync(page));
        Assert.Equal(0, (await http.GetFromJsonAsync<JsonElement>("/api/cloud/authz")).GetArrayLength());
    }

    [Fact]
    public async Task Edit_WithEmptySecretField_KeepsTheSecret_AndNeverShowsIt()
    {
        using var http = await SignInAsync();
        const string secret = "kept-secret-value-9876543210";
        var created = await GalaxyAssert.OkJsonAsync(await http.PostAsJsonAsync("/api/cloud/authz", new
        {
            provider = "azure",
            config = new { tenant_id = Guid.NewGuid().ToString(), client_id = Guid.NewGuid().ToString(), account_name = "keptacct", client_secret = secret },
        }));
        var id = created.GetProperty("id").GetString();
        var page = $"/cloud/authz/edit/{id}";
        var form = await http.GetStringAsync(page);
        Assert.DoesNotContain(secret, form);
        Assert.Contains("(set; leave empty to keep)", form);

        var saved = await WebForms.PostAsync(http, page, page, ("provider", "azure"), ("description", "renamed"), ("authnId", ""),
            ("config.tenant_id", created.GetProperty("config").GetProperty("tenant_id").GetString()!),
            ("config.client_id", created.GetProperty("config").GetProperty("client_id").GetString()!),
            ("config.account_name", "otheracct"), ("config.client_secret", ""));

        Assert.Equal("/cloud/authz", saved.Headers.Location!.OriginalString);
        var view = await http.GetFromJsonAsync<JsonElement>($"/api/cloud/authz/{id}");
        Assert.Equal("renamed", view.GetProperty("description").GetString());
        Assert.Equal("otheracct", view.GetProperty("config").GetProperty("account_name").GetString());
        Assert.True(view.GetProperty("secrets").GetProperty("client_secret").GetBoolean());
        Assert.DoesNotContain(secret, await http.GetStringAsync("/cloud/authz"));
    }
}
