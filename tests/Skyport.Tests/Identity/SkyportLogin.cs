using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Identity;

/// <summary>
/// Logs in to Skyport through an OIDC provider the way Galaxy's API clients do: GET /authnz/{provider}/login
/// for the redirect_uri, follow it to the provider (which answers at once with a code), and follow the
/// provider's redirect to Skyport's callback, keeping cookies throughout.
/// </summary>
public sealed class SkyportLogin : IDisposable
{
    private readonly HttpClient _http;

    public SkyportLogin(SkyportServer server, string? apiKey = null)
    {
        Cookies = new CookieContainer();
        _http = new HttpClient(new HttpClientHandler { CookieContainer = Cookies, AllowAutoRedirect = false }) { BaseAddress = server.BaseAddress };
        if (apiKey is not null)
        {
            _http.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }
    }

    public CookieContainer Cookies { get; }

    /// <summary>The session client: after a successful login it is authenticated by cookie alone.</summary>
    public HttpClient Http => _http;

    /// <summary>Runs the whole flow; returns the callback's response (a redirect on success, an error envelope otherwise).</summary>
    public async Task<HttpResponseMessage> LoginAsync(string provider = IdentityFixture.Provider)
    {
        var start = await _http.GetAsync($"/authnz/{provider}/login");
        var redirect = (await GalaxyAssert.OkJsonAsync(start)).GetProperty("redirect_uri").GetString()!;
        using var atProvider = await _http.GetAsync(redirect);
        Assert.Equal(HttpStatusCode.Found, atProvider.StatusCode);
        return await _http.GetAsync(atProvider.Headers.Location);
    }

    public async Task<JsonElement> CurrentUserAsync() => await _http.GetFromJsonAsync<JsonElement>("/api/users/current");

    public void Dispose() => _http.Dispose();
}
