using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;
using Cloud = Skyport.Tests.Infrastructure.TestCloud;

namespace Skyport.Tests.TestDoubles;

public sealed class OidcProviderTests(TestCloudFixture fixture) : IClassFixture<TestCloudFixture>, IAsyncLifetime
{
    private readonly Cloud _cloud = fixture.Cloud;

    public Task InitializeAsync() => _cloud.ResetClaimsAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Login_WithPkce_ReturnsIdTokenWithIssuerClientAudienceSubjectEmailAndTimes()
    {
        var tokens = await _cloud.LoginAsync();

        var claims = Cloud.ClaimsOf(tokens.IdToken);
        Assert.Equal(_cloud.Issuer, claims.GetProperty("iss").GetString());
        Assert.Equal(Cloud.ClientId, claims.GetProperty("aud").GetString());
        Assert.Equal("test-user", claims.GetProperty("sub").GetString());
        Assert.Equal("test-user@example.org", claims.GetProperty("email").GetString());
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(claims.GetProperty("iat").GetInt64(), now - 60, now + 5);
        Assert.InRange(claims.GetProperty("exp").GetInt64(), now + 3000, now + 3700);
        Assert.False(string.IsNullOrEmpty(claims.GetProperty("nonce").GetString()));
        Assert.NotNull(tokens.RefreshToken);
    }

    [Fact]
    public async Task IdToken_Signature_VerifiesAgainstDiscoveredJwks()
    {
        var tokens = await _cloud.LoginAsync();

        Assert.True(await VerifiesAsync(tokens.IdToken));
        Assert.False(await VerifiesAsync(Cloud.TamperSignature(tokens.IdToken)));
    }

    [Fact]
    public async Task Login_AfterClaimsSet_CarriesThoseClaims()
    {
        await _cloud.SetClaimsAsync(new OidcClaims(Sub: "alice-123", Email: "alice@example.org", Name: "Alice",
            Claims: new Dictionary<string, object> { ["groups"] = new[] { "staff" } }));

        var claims = Cloud.ClaimsOf((await _cloud.LoginAsync()).IdToken);

        Assert.Equal("alice-123", claims.GetProperty("sub").GetString());
        Assert.Equal("alice@example.org", claims.GetProperty("email").GetString());
        Assert.Equal("Alice", claims.GetProperty("name").GetString());
        Assert.Equal("staff", claims.GetProperty("groups")[0].GetString());
    }

    [Fact]
    public async Task Login_WithShortLifetimeSet_IssuesIdTokenExpiringThen()
    {
        await _cloud.SetClaimsAsync(new OidcClaims(ExpiresIn: 30));

        var claims = Cloud.ClaimsOf((await _cloud.LoginAsync()).IdToken);

        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(claims.GetProperty("exp").GetInt64(), now + 20, now + 31);
    }

    [Fact]
    public async Task Refresh_ReturnsNewIdTokenForTheSameUser_EvenAfterClaimsChange()
    {
        await _cloud.SetClaimsAsync(new OidcClaims(Sub: "bob"));
        var login = await _cloud.LoginAsync();
        await _cloud.SetClaimsAsync(new OidcClaims(Sub: "someone-else"));

        var refreshed = await _cloud.RefreshAsync(login.RefreshToken!);

        Assert.Equal("bob", Cloud.ClaimsOf(refreshed.IdToken).GetProperty("sub").GetString());
        Assert.NotNull(refreshed.RefreshToken);
    }

    [Fact]
    public async Task Login_KeepsClaimsInForceAtAuthorize_WhenClaimsChangeBeforeCodeExchange()
    {
        await _cloud.SetClaimsAsync(new OidcClaims(Sub: "dave"));
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        const string redirect = "http://127.0.0.1/signin-oidc";
        var authorize = await http.GetAsync(new Uri(_cloud.Oidc,
            $"/authorize?response_type=code&client_id=skyport&redirect_uri={Uri.EscapeDataString(redirect)}&scope=openid&state=s"));
        var code = authorize.Headers.Location!.Query.Split('&').Select(p => p.TrimStart('?').Split('=')).First(p => p[0] == "code")[1];
        await _cloud.SetClaimsAsync(new OidcClaims(Sub: "someone-else"));

        var exchange = await http.PostAsync(new Uri(_cloud.Oidc, "/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirect, ["client_id"] = "skyport",
        }));
        var body = await exchange.Content.ReadFromJsonAsync<JsonElement>();
        var refreshed = await _cloud.RefreshAsync(body.GetProperty("refresh_token").GetString()!);

        Assert.Equal("dave", Cloud.ClaimsOf(body.GetProperty("id_token").GetString()!).GetProperty("sub").GetString());
        Assert.Equal("dave", Cloud.ClaimsOf(refreshed.IdToken).GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Refresh_AfterFailureArmedForThatToken_ReturnsInvalidGrantAndTheTokenIsDead()
    {
        var login = await _cloud.LoginAsync();
        await _cloud.FailNextRefreshAsync(login.RefreshToken);

        var first = await Assert.ThrowsAsync<OidcTokenException>(() => _cloud.RefreshAsync(login.RefreshToken!));
        var second = await Assert.ThrowsAsync<OidcTokenException>(() => _cloud.RefreshAsync(login.RefreshToken!));

        Assert.Equal((400, "invalid_grant"), (first.Status, first.Error));
        Assert.Equal("invalid_grant", second.Error);
    }

    [Fact]
    public async Task Refresh_AfterFailureArmedForAnyToken_FailsOnceThenWorksForOthers()
    {
        var a = await _cloud.LoginAsync();
        var b = await _cloud.LoginAsync();
        await _cloud.FailNextRefreshAsync();

        await Assert.ThrowsAsync<OidcTokenException>(() => _cloud.RefreshAsync(a.RefreshToken!));
        var refreshed = await _cloud.RefreshAsync(b.RefreshToken!);

        Assert.NotNull(refreshed.IdToken);
    }

    [Fact]
    public async Task Refresh_WithUnknownToken_ReturnsInvalidGrant()
    {
        var error = await Assert.ThrowsAsync<OidcTokenException>(() => _cloud.RefreshAsync("not-a-refresh-token"));

        Assert.Equal("invalid_grant", error.Error);
    }

    [Fact]
    public async Task CodeExchange_WithoutVerifierAfterChallenge_OrTwice_ReturnsInvalidGrant()
    {
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false });
        const string redirect = "http://127.0.0.1/signin-oidc";
        var challenge = Cloud.Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(new string('v', 43))));
        var authorize = await http.GetAsync(new Uri(_cloud.Oidc,
            $"/authorize?response_type=code&client_id=skyport&redirect_uri={Uri.EscapeDataString(redirect)}&scope=openid&state=s&code_challenge={challenge}&code_challenge_method=S256"));
        var code = authorize.Headers.Location!.Query.Split('&').Select(p => p.TrimStart('?').Split('=')).First(p => p[0] == "code")[1];
        var form = new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = redirect, ["client_id"] = "skyport" };

        var withoutVerifier = await http.PostAsync(new Uri(_cloud.Oidc, "/token"), new FormUrlEncodedContent(form));
        var again = await http.PostAsync(new Uri(_cloud.Oidc, "/token"), new FormUrlEncodedContent(form));

        Assert.Equal("invalid_grant", (await withoutVerifier.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal("invalid_grant", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    [Fact]
    public async Task MintedToken_WithNegativeLifetime_IsExpired()
    {
        var token = await _cloud.MintIdTokenAsync(new OidcClaims(Sub: "carol", ExpiresIn: -120));

        var claims = Cloud.ClaimsOf(token);
        Assert.True(claims.GetProperty("exp").GetInt64() < DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.True(claims.GetProperty("iat").GetInt64() < claims.GetProperty("exp").GetInt64());
        Assert.True(await VerifiesAsync(token));
    }

    /// <summary>Checks an RS256 signature with the key the provider publishes for the token's kid.</summary>
    private async Task<bool> VerifiesAsync(string jwt)
    {
        using var http = new HttpClient();
        var discovery = await http.GetFromJsonAsync<JsonElement>(new Uri(_cloud.Oidc, "/.well-known/openid-configuration"));
        var jwks = await http.GetFromJsonAsync<JsonElement>(discovery.GetProperty("jwks_uri").GetString());
        var parts = jwt.Split('.');
        var header = JsonDocument.Parse(Cloud.FromBase64Url(parts[0])).RootElement;
        Assert.Equal("RS256", header.GetProperty("alg").GetString());
        var key = jwks.GetProperty("keys").EnumerateArray().Single(k => k.GetProperty("kid").GetString() == header.GetProperty("kid").GetString());
        using var rsa = RSA.Create(new RSAParameters
        {
            Modulus = Cloud.FromBase64Url(key.GetProperty("n").GetString()!),
            Exponent = Cloud.FromBase64Url(key.GetProperty("e").GetString()!),
        });
        return rsa.VerifyData(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), Cloud.FromBase64Url(parts[2]),
            HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}
