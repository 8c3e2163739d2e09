using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Skyport.Tests.Identity;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudStorage;

/// <summary>The set-up every storage fixture shares: a transfer-ready server, a user logged in through the OIDC provider, and their authorization.</summary>
public static class StorageUser
{
    /// <summary>Server settings for the test cloud, with parts small enough that a 12 MiB object already moves in parallel parts.</summary>
    public static Dictionary<string, string?> Settings(TestCloud cloud)
    {
        var settings = IdentityFixture.Settings(cloud);
        settings["Skyport:Transfers:PartSizeMiB"] = "5";
        settings["Skyport:Transfers:MultipartThresholdMiB"] = "5";
        settings["Skyport:Jobs:Workers"] = "4";
        return settings;
    }

    /// <summary>
    /// Logs the OIDC provider's current subject in to the Skyport server at <paramref name="baseAddress"/> (any server, such as
    /// a child process, as <see cref="SkyportLogin"/> does for in-process ones) and registers an authorization using that login.
    /// </summary>
    public static async Task<TransferSession> SignInAtAsync(Uri baseAddress, string provider, object config)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = baseAddress };
        try
        {
            var start = await http.GetAsync($"/authnz/{IdentityFixture.Provider}/login");
            var redirect = (await GalaxyAssert.OkJsonAsync(start)).GetProperty("redirect_uri").GetString()!;
            using (var atProvider = await http.GetAsync(redirect))
            {
                Assert.Equal(HttpStatusCode.Found, atProvider.StatusCode);
                using var callback = await http.GetAsync(atProvider.Headers.Location);
                Assert.True(callback.StatusCode == HttpStatusCode.Redirect, await callback.Content.ReadAsStringAsync());
            }
            var identity = (await http.GetFromJsonAsync<JsonElement>("/authnz"))[0].GetProperty("id").GetString();
            var authzId = (await GalaxyAssert.OkJsonAsync(await http.PostAsJsonAsync("/api/cloud/authz", new { provider, config, authn_id = identity })))
                .GetProperty("id").GetString()!;
            return new TransferSession(http, authzId);
        }
        catch
        {
            http.Dispose();
            throw;
        }
    }

    /// <summary>Logs <paramref name="subject"/> in through Skyport and registers an authorization using that login.</summary>
    /// <returns>The session and the authorization's id.</returns>
    public static async Task<(SkyportLogin Login, string AuthzId)> SignInWithAuthzAsync(SkyportServer server, TestCloud cloud, string subject,
        string provider, object config)
    {
        await cloud.SetClaimsAsync(new OidcClaims(Sub: subject, Email: $"{subject}@example.org"));
        var login = new SkyportLogin(server);
        var callback = await login.LoginAsync();
        Assert.True(callback.StatusCode == HttpStatusCode.Redirect, await callback.Content.ReadAsStringAsync());
        var identity = (await login.Http.GetFromJsonAsync<JsonElement>("/authnz"))[0].GetProperty("id").GetString();
        var authz = await GalaxyAssert.OkJsonAsync(await login.Http.PostAsJsonAsync("/api/cloud/authz", new { provider, config, authn_id = identity }));
        return (login, authz.GetProperty("id").GetString()!);
    }
}
