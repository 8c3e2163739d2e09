using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Data;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Identity;

public sealed class OidcLoginTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private SkyportServer Server => fixture.Server;
    private TestCloud Cloud => fixture.Cloud;

    private async Task<string> NewSubjectAsync(int? expiresIn = null)
    {
        var sub = $"sub-{Guid.NewGuid():N}";
        await Cloud.SetClaimsAsync(new OidcClaims(Sub: sub, Email: $"{sub}@example.org", ExpiresIn: expiresIn));
        return sub;
    }

    [Fact]
    public async Task Login_AsApiClient_ReturnsProviderUrlWithPkceStateAndNonce()
    {
        using var client = Server.Anonymous();

        var body = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/authnz/{IdentityFixture.Provider}/login"));

        var url = new Uri(body.GetProperty("redirect_uri").GetString()!);
        Assert.StartsWith(Cloud.Issuer, url.ToString());
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        Assert.Equal("code", query["response_type"]);
        Assert.Equal("S256", query["code_challenge_method"]);
        Assert.False(string.IsNullOrEmpty(query["code_challenge"]));
        Assert.False(string.IsNullOrEmpty(query["state"]));
        Assert.False(string.IsNullOrEmpty(query["nonce"]));
        Assert.EndsWith($"/authnz/{IdentityFixture.Provider}/callback", query["redirect_uri"]);
    }

    [Fact]
    public async Task Login_InBrowser_RedirectsToProvider()
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = Server.BaseAddress };
        client.DefaultRequestHeaders.Accept.ParseAdd("text/html,application/xhtml+xml");

        var response = await client.GetAsync($"/authnz/{IdentityFixture.Provider}/login");

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith(Cloud.Issuer, response.Headers.Location!.ToString());
    }

    [Fact]
    public async Task FirstLogin_CreatesUser_SignsIn_AndListsIdentity()
    {
        var sub = await NewSubjectAsync();
        using var login = new SkyportLogin(Server);

        var callback = await login.LoginAsync();

        Assert.True(callback.StatusCode == HttpStatusCode.Redirect, await callback.Content.ReadAsStringAsync());
        var user = await login.CurrentUserAsync();
        Assert.Equal($"{sub}@example.org", user.GetProperty("email").GetString());
        var identities = await login.Http.GetFromJsonAsync<JsonElement>("/authnz");
        var identity = Assert.Single(identities.EnumerateArray());
        Assert.Equal(IdentityFixture.Provider, identity.GetProperty("provider").GetString());
        Assert.Equal($"{sub}@example.org", identity.GetProperty("email").GetString());
        Assert.Matches("^[0-9a-f]{16}$", identity.GetProperty("id").GetString());
    }

    [Fact]
    public async Task SignedInSession_EndsAtTheNextRequest_OnceItsUserIsDisabled()
    {
        var sub = await NewSubjectAsync();
        using var login = new SkyportLogin(Server);
        await login.LoginAsync();
        await login.CurrentUserAsync();

        await SetDisabledAsync($"{sub}@example.org", true);
        await GalaxyAssert.ErrorAsync(await login.Http.GetAsync("/api/users/current"), HttpStatusCode.Unauthorized, 401001);

        await SetDisabledAsync($"{sub}@example.org", false);
        Assert.Equal($"{sub}@example.org", (await login.CurrentUserAsync()).GetProperty("email").GetString());
    }

    private async Task SetDisabledAsync(string email, bool disabled)
    {
        await using var scope = Server.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<SkyportDbContext>();
        Assert.Equal(1, await db.Users.Where(u => u.Email == email).ExecuteUpdateAsync(s => s.SetProperty(u => u.Disabled, disabled)));
    }

    [Fact]
    public async Task SecondLogin_SameIdentity_SignsInSameUser()
    {
        await NewSubjectAsync();
        using var first = new SkyportLogin(Server);
        await first.LoginAsync();
        using var second = new SkyportLogin(Server);
        await second.LoginAsync();

        Assert.Equal((await first.CurrentUserAsync()).GetProperty("id").GetString(), (await second.CurrentUserAsync()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task Login_WhileSignedInWithApiKey_LinksTheIdentityToThatUser()
    {
        using var existing = await Server.NewUserAsync();
        var me = await existing.GetFromJsonAsync<JsonElement>("/api/users/current");
        var key = existing.DefaultRequestHeaders.GetValues("x-api-key").Single();
        await NewSubjectAsync();
        using var login = new SkyportLogin(Server, apiKey: key);

        await login.LoginAsync();

        var identities = await existing.GetFromJsonAsync<JsonElement>("/authnz");
        Assert.Single(identities.EnumerateArray());
        Assert.Equal(me.GetProperty("email").GetString(), (await login.CurrentUserAsync()).GetProperty("email").GetString());
    }

    [Fact]
    public async Task Login_WithEmailOfExistingAccount_NotSignedIn_Returns409()
    {
        using var admin = Server.Admin();
        var email = $"taken-{Guid.NewGuid():N}@example.org";
        await GalaxyAssert.OkJsonAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = "secret-password" }));
        await Cloud.SetClaimsAsync(new OidcClaims(Sub: $"sub-{Guid.NewGuid():N}", Email: email));
        using var login = new SkyportLogin(Server);

        var message = await GalaxyAssert.ErrorAsync(await login.LoginAsync(), HttpStatusCode.Conflict, 409001);

        Assert.Contains("link", message);
    }

    [Fact]
    public async Task Login_WithTokenForAnotherAudience_IsRejected()
    {
        await Cloud.SetClaimsAsync(new OidcClaims(Sub: $"sub-{Guid.NewGuid():N}", Email: $"{Guid.NewGuid():N}@example.org", Aud: "some-other-client"));
        using var login = new SkyportLogin(Server);

        var message = await GalaxyAssert.ErrorAsync(await login.LoginAsync(), HttpStatusCode.Unauthorized, 401001);

        Assert.Contains("failed", message);
        await GalaxyAssert.ErrorAsync(await login.Http.GetAsync("/api/users/current"), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task Login_WithForeignIssuer_IsRejected()
    {
        await Cloud.SetClaimsAsync(new OidcClaims(Sub: $"sub-{Guid.NewGuid():N}", Email: $"{Guid.NewGuid():N}@example.org", Iss: "https://impostor.example.org"));
        using var login = new SkyportLogin(Server);

        await GalaxyAssert.ErrorAsync(await login.LoginAsync(), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task Callback_WithTamperedState_IsRejected()
    {
        await NewSubjectAsync();
        using var login = new SkyportLogin(Server);
        var start = await GalaxyAssert.OkJsonAsync(await login.Http.GetAsync($"/authnz/{IdentityFixture.Provider}/login"));
        using var atProvider = await login.Http.GetAsync(start.GetProperty("redirect_uri").GetString());
        var callback = atProvider.Headers.Location!.ToString();
        var tampered = System.Text.RegularExpressions.Regex.Replace(callback, "state=([^&]{10})", "state=AAAAAAAAAA");

        await GalaxyAssert.ErrorAsync(await login.Http.GetAsync(tampered), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task Disconnect_RemovesIdentity_AndUnknownEmailIs404()
    {
        var sub = await NewSubjectAsync();
        using var login = new SkyportLogin(Server);
        await login.LoginAsync();

        await GalaxyAssert.ErrorAsync(await login.Http.GetAsync($"/authnz/{IdentityFixture.Provider}/disconnect/nobody@example.org"), HttpStatusCode.NotFound, 404001);
        var after = await GalaxyAssert.OkJsonAsync(await login.Http.GetAsync($"/authnz/{IdentityFixture.Provider}/disconnect/{sub}@example.org"));

        Assert.Empty(after.EnumerateArray());
    }

    [Fact]
    public async Task Tokens_AreNeitherReturnedNorLoggedNorStoredInClear()
    {
        await NewSubjectAsync();
        using var login = new SkyportLogin(Server);
        await login.LoginAsync();
        var bodies = string.Join('\n',
            await login.Http.GetStringAsync("/authnz"),
            await login.Http.GetStringAsync("/api/users/current"),
            login.Cookies.GetCookieHeader(Server.BaseAddress));

        // The provider's id and access tokens are JWTs: none may appear in clear in what Skyport stored, answered or logged.
        var stored = await StoredProtectedTokensAsync();
        Assert.NotEmpty(stored);
        SecretAssert.NoJwt(string.Join('\n', stored), "user_identities");
        SecretAssert.NoJwt(bodies, "the responses and cookies");
        SecretAssert.NoJwt(fixture.Logs.All, "the logs");
        Assert.DoesNotContain("oidc-client-secret-value", fixture.Logs.All);
    }

    private async Task<List<string>> StoredProtectedTokensAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDir, "skyport.db")}");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM user_identities";
        await using var reader = await command.ExecuteReaderAsync();
        var cells = new List<string>();
        while (await reader.ReadAsync())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                cells.Add(reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i))!);
            }
        }
        return cells;
    }
}
