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
