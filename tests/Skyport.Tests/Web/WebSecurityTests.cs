using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Skyport.Tests.CloudStorage;
using Skyport.Tests.Identity;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Web;

/// <summary>The web UI over plain HTTP: who may see pages, cross-site request refusal, antiforgery, and no secrets in pages.</summary>
[Collection(WebCollection.Name)]
public sealed partial class WebSecurityTests(S3Fixture fixture)
{
    private SkyportServer Server => fixture.Server;

    private async Task<SkyportLogin> SignInAsync()
    {
        var sub = $"web-{Guid.NewGuid():N}";
        await fixture.Cloud.SetClaimsAsync(new OidcClaims(Sub: sub, Email: $"{sub}@example.org"));
        var login = new SkyportLogin(Server);
        var callback = await login.LoginAsync();
        Assert.True(callback.StatusCode == HttpStatusCode.Redirect, await callback.Content.ReadAsStringAsync());
        return login;
    }

    private HttpClient Cookies(out CookieContainer cookies)
    {
        cookies = new CookieContainer();
        return new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };
    }

    [Fact]
    public async Task Page_WithoutSession_RedirectsToSignIn()
    {
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };

        var response = await anonymous.GetAsync("/histories?offset=0");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/signin?next=%2Fhistories%3Foffset%3D0", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Api_WithoutSession_StillAnswersGalaxyError()
    {
        using var anonymous = Server.Anonymous();

        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync("/api/histories"), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task SignInPage_ListsEachProvider()
    {
        using var anonymous = Server.Anonymous();

        var html = await anonymous.GetStringAsync("/signin");

        Assert.Contains($"href=\"/authnz/{IdentityFixture.Provider}/login?next=%2Fhistories\"", html);
    }

    [Fact]
    public async Task Pages_AllowOnlyTheirOwnScripts_AndNoFraming()
    {
        using var anonymous = Server.Anonymous();

        using var response = await anonymous.GetAsync("/signin");

        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'self'", policy);
        Assert.Contains("frame-ancestors 'none'", policy);
        Assert.DoesNotContain("unsafe-inline", policy);
        Assert.DoesNotContain("<script>", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task LocalSignIn_WithPassword_OpensHistories()
    {
        var email = $"local-{Guid.NewGuid():N}@example.org";
        using (var admin = Server.Admin())
        {
            await GalaxyAssert.OkJsonAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = "local-password" }));
        }
        using var http = Cookies(out _);

        var signedIn = await WebForms.PostAsync(http, "/signin", "/signin", ("email", email), ("password", "local-password"), ("next", "/transfers"));

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/transfers", signedIn.Headers.Location!.OriginalString);
        var page = await http.GetAsync("/histories");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains(email, await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task LocalSignIn_WithWrongPassword_ShowsTheServicesMessage()
    {
        using var http = Cookies(out _);

        var refused = await WebForms.PostAsync(http, "/signin", "/signin", ("email", "nobody@example.org"), ("password", "wrong-password"));

        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        var page = await http.GetStringAsync(refused.Headers.Location!.OriginalString);
        Assert.Contains("Invalid password or email.", page);
        Assert.Equal(HttpStatusCode.Redirect, (await http.GetAsync("/histories")).StatusCode);
    }

    [Fact]
    public async Task SignIn_WithForeignNext_StaysOnThisSite()
    {
        var email = $"local-{Guid.NewGuid():N}@example.org";
        using (var admin = Server.Admin())
        {
            await GalaxyAssert.OkJsonAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = "local-password" }));
        }
        using var http = Cookies(out _);

        var signedIn = await WebForms.PostAsync(http, "/signin", "/signin", ("email", email), ("password", "local-password"), ("next", "//evil.example/x"));

        Assert.Equal("/histories", signedIn.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    [InlineData("Origin", "http://evil.example")]
    [InlineData("Origin", "null")]
    public async Task CookieApiPost_FromAnotherSite_IsRefused(string header, string value)
    {
        using var login = await SignInAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/histories") { Content = JsonContent.Create(new { name = "forged" }) };
        request.Headers.Add(header, value);

        var response = await login.Http.SendAsync(request);

        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.Forbidden, 403002);
        Assert.Contains("Cross-site request refused", message);
        var histories = await login.Http.GetFromJsonAsync<JsonElement>("/api/histories");
        Assert.DoesNotContain(histories.EnumerateArray(), h => h.GetProperty("name").GetString() == "forged");
    }

    [Fact]
    public async Task CookieApiPost_FromOwnPages_IsAccepted()
    {
        using var login = await SignInAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/histories") { Content = JsonContent.Create(new { name = "from the page" }) };
        request.Headers.Add("Sec-Fetch-Site", "same-origin");
        request.Headers.Add("Origin", Server.BaseAddress.GetLeftPart(UriPartial.Authority));

        var created = await GalaxyAssert.OkJsonAsync(await login.Http.SendAsync(request));

        Assert.Equal("from the page", created.GetProperty("name").GetString());
    }

    [Fact]
    public async Task ApiKeyPost_WithForeignOrigin_IsUnaffected()
    {
        using var client = await Server.NewUserAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/histories") { Content = JsonContent.Create(new { name = "scripted" }) };
        request.Headers.Add("Origin", "http://elsewhere.example");
        request.Headers.Add("Sec-Fetch-Site", "cross-site");

        var created = await GalaxyAssert.OkJsonAsync(await client.SendAsync(request));

        Assert.Equal("scripted", created.GetProperty("name").GetString());
    }

    [Fact]
    public async Task IdentityUnlink_FromAnotherSite_IsRefused()
    {
        using var login = await SignInAsync();
        var identity = (await login.Http.GetFromJsonAsync<JsonElement>("/authnz"))[0];
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/authnz/{IdentityFixture.Provider}/disconnect/{identity.GetProperty("email").GetString()}");
        request.Headers.Add("Sec-Fetch-Site", "cross-site");

        await GalaxyAssert.ErrorAsync(await login.Http.SendAsync(request), HttpStatusCode.Forbidden, 403002);

        Assert.Single((await login.Http.GetFromJsonAsync<JsonElement>("/authnz")).EnumerateArray());
    }

    [Fact]
    public async Task FormPost_WithoutAntiforgeryToken_IsRefusedAndChangesNothing()
    {
        using var login = await SignInAsync();

        var response = await login.Http.PostAsync("/histories?handler=Create", new FormUrlEncodedContent([new("name", "no token")]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var histories = await login.Http.GetFromJsonAsync<JsonElement>("/api/histories");
        Assert.DoesNotContain(histories.EnumerateArray(), h => h.GetProperty("name").GetString() == "no token");
    }

    [Fact]
    public async Task FormPost_WithAnotherUsersToken_IsRefused()
    {
        using var victim = await SignInAsync();
        using var attacker = await SignInAsync();
        var attackersToken = await WebForms.TokenAsync(attacker.Http, "/histories");

        var response = await victim.Http.PostAsync("/histories?handler=Create",
            new FormUrlEncodedContent([new("name", "planted"), new("__csrf", attackersToken)]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task HistoryForms_CreateRenameDelete_GoThroughTheService()
    {
        using var login = await SignInAsync();

        var created = await WebForms.PostAsync(login.Http, "/histories", "/histories?handler=Create", ("name", "made by a form"));
        Assert.Equal(HttpStatusCode.Redirect, created.StatusCode);
        var id = created.Headers.Location!.OriginalString.Split('/')[^1];
        await WebForms.PostAsync(login.Http, "/histories", "/histories?handler=Rename", ("id", id), ("name", "renamed by a form"));
        Assert.Equal("renamed by a form", (await login.Http.GetFromJsonAsync<JsonElement>($"/api/histories/{id}")).GetProperty("name").GetString());

        var tooLong = await WebForms.PostAsync(login.Http, "/histories", "/histories?handler=Rename", ("id", id), ("name", new string('x', 300)));
        Assert.Equal("/histories", tooLong.Headers.Location!.OriginalString);
        Assert.Contains("History name must be at most 255 characters.", await login.Http.GetStringAsync("/histories"));

        await WebForms.PostAsync(login.Http, "/histories", "/histories?handler=Delete", ("id", id));
        Assert.True((await login.Http.GetFromJsonAsync<JsonElement>($"/api/histories/{id}")).GetProperty("deleted").GetBoolean());
    }

    [Fact]
    public async Task ForeignHistoryPage_ShowsTheServicesRefusal()
    {
        using var owner = await SignInAsync();
        using var other = await SignInAsync();
        var history = await GalaxyAssert.OkJsonAsync(await owner.Http.PostAsJsonAsync("/api/histories", new { name = "private" }));

        var response = await other.Http.GetAsync($"/histories/{history.GetProperty("id").GetString()}");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var error = await other.Http.GetAsync(response.Headers.Location!.OriginalString);
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
        var html = await error.Content.ReadAsStringAsync();
        Assert.Contains("History is not accessible by the current user.", html);
        Assert.DoesNotContain("private", html);
    }

    [Fact]
    public async Task ApiKeyPage_ShowsTheNewKeyOnce_AndNoPageContainsSecrets()
    {
        using var login = await SignInAsync();
        const string clientSecret = "azure-client-secret-value-0123456789";
        var authz = await GalaxyAssert.OkJsonAsync(await login.Http.PostAsJsonAsync("/api/cloud/authz", new
        {
            provider = "azure",
            config = new { tenant_id = Guid.NewGuid().ToString(), client_id = Guid.NewGuid().ToString(), account_name = "webacct", client_secret = clientSecret },
        }));
        var history = await GalaxyAssert.OkJsonAsync(await login.Http.PostAsJsonAsync("/api/histories", new { name = "secrets check" }));

        var shown = await WebForms.PostAsync(login.Http, "/account/apikey", "/account/apikey");
        var shownHtml = await shown.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, shown.StatusCode);
        Assert.True(shown.Headers.CacheControl?.NoStore, "The page showing a key must not be stored.");
        var key = KeyField().Match(shownHtml).Groups[1].Value;
        Assert.Matches("^[0-9a-f]{32}$", key);
        using (var withKey = Server.Client(key))
        {
            Assert.Equal((await login.CurrentUserAsync()).GetProperty("id").GetString(),
                (await withKey.GetFromJsonAsync<JsonElement>("/api/users/current")).GetProperty("id").GetString());
        }

        string[] pages =
        [
            "/histories", $"/histories/{history.GetProperty("id").GetString()}", "/cloud/authz", $"/cloud/authz/edit/{authz.GetProperty("id").GetString()}",
            "/cloud/authz/edit?provider=aws", "/cloud/authz/edit?provider=gcp", "/cloud/browse", "/transfers", "/account/identities", "/account/apikey", "/signin",
        ];
        foreach (var page in pages)
        {
            using var response = await login.Http.GetAsync(page);
            var html = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.OK || page == "/signin", $"{page}: {(int)response.StatusCode}");
            Assert.DoesNotContain(key, html);
            Assert.DoesNotContain(Server.AdminKey, html);
            Assert.DoesNotContain(clientSecret, html);
            Assert.DoesNotContain("oidc-client-secret-value", html);
            SecretAssert.NoJwt(html, page);
        }
    }

    [GeneratedRegex("id=\"new-key\" type=\"text\" readonly value=\"([^\"]*)\"")]
    private static partial Regex KeyField();
}
