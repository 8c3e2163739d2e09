using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;
using Microsoft.Identity.Client;
using Skyport.Tests.Infrastructure;
using Cloud = Skyport.Tests.Infrastructure.TestCloud;

namespace Skyport.Tests.TestDoubles;

/// <summary>The Entra ID token endpoint double over HTTPS, driven through Azure.Identity where a credential type exists.</summary>
public sealed class EntraDoubleTests(TestCloudFixture fixture) : IClassFixture<TestCloudFixture>
{
    private const string ExchangeAudience = "api://AzureADTokenExchange";
    private static readonly TokenRequestContext Storage = new(["https://storage.azure.com/.default"]);
    private readonly Cloud _cloud = fixture.Cloud;

    /// <summary>A fresh tenant with one app that trusts the test provider's tokens for <paramref name="subject"/> and has a secret.</summary>
    private async Task<(string Tenant, string Client)> NewAppAsync(string subject = "alice")
    {
        var tenant = Guid.NewGuid().ToString();
        var client = Guid.NewGuid().ToString();
        await _cloud.RegisterEntraAppAsync(new EntraApp(tenant, client, ClientSecret: "s3cret~value",
            Federated: [new FederatedCredential(_cloud.Issuer, subject)]));
        return (tenant, client);
    }

    private Task<string> AssertionAsync(string subject = "alice", string audience = ExchangeAudience, int? expiresIn = null, string? iss = null) =>
        _cloud.MintIdTokenAsync(new OidcClaims(Sub: subject, Aud: audience, ExpiresIn: expiresIn, Iss: iss));

    private ClientAssertionCredential AssertionCredential(string tenant, string client, string assertion) =>
        new(tenant, client, _ => Task.FromResult(assertion),
            new ClientAssertionCredentialOptions { AuthorityHost = _cloud.Entra, DisableInstanceDiscovery = true });

    [Fact]
    public async Task ClientAssertionCredential_WithFederatedIdToken_GetsStorageTokenAzuriteAccepts()
    {
        var (tenant, client) = await NewAppAsync();
        var credential = AssertionCredential(tenant, client, await AssertionAsync());

        var token = await credential.GetTokenAsync(Storage, CancellationToken.None);

        var claims = Cloud.ClaimsOf(token.Token);
        Assert.Equal($"https://sts.windows.net/{tenant}/", claims.GetProperty("iss").GetString());
        Assert.Equal("https://storage.azure.com", claims.GetProperty("aud").GetString());
        Assert.Equal(tenant, claims.GetProperty("tid").GetString());
        Assert.Equal(client, claims.GetProperty("appid").GetString());
        Assert.True(Guid.TryParse(claims.GetProperty("oid").GetString(), out _));
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Assert.InRange(claims.GetProperty("nbf").GetInt64(), now - 60, now + 1);
        Assert.InRange(claims.GetProperty("exp").GetInt64(), now + 3000, now + 3600);
        Assert.InRange(token.ExpiresOn, DateTimeOffset.UtcNow.AddMinutes(50), DateTimeOffset.UtcNow.AddMinutes(61));
    }

    [Fact]
    public async Task ClientSecretCredential_WithRegisteredSecret_GetsStorageToken()
    {
        var (tenant, client) = await NewAppAsync();
        var credential = new ClientSecretCredential(tenant, client, "s3cret~value",
            new ClientSecretCredentialOptions { AuthorityHost = _cloud.Entra, DisableInstanceDiscovery = true });

        var token = await credential.GetTokenAsync(Storage, CancellationToken.None);

        Assert.Equal("1", Cloud.ClaimsOf(token.Token).GetProperty("appidacr").GetString());
    }

    [Fact]
    public async Task ClientSecretCredential_WithWrongSecret_FailsWithAadsts7000215()
    {
        var (tenant, client) = await NewAppAsync();
        var credential = new ClientSecretCredential(tenant, client, "wrong",
            new ClientSecretCredentialOptions { AuthorityHost = _cloud.Entra, DisableInstanceDiscovery = true });

        var error = await Assert.ThrowsAsync<AuthenticationFailedException>(() => credential.GetTokenAsync(Storage, CancellationToken.None).AsTask());

        // Azure.Identity wraps MSAL's exception, which carries Entra's answer.
        var server = Assert.IsType<MsalServiceException>(error.InnerException);
        Assert.Equal((401, "invalid_client"), (server.StatusCode, server.ErrorCode));
        Assert.Contains("AADSTS7000215: Invalid client secret provided.", server.Message);
    }

    [Fact]
    public async Task ClientAssertionCredential_WithWrongSubject_FailsWithAadsts70021()
    {
        var (tenant, client) = await NewAppAsync(subject: "alice");
        var credential = AssertionCredential(tenant, client, await AssertionAsync(subject: "mallory"));

        var error = await Assert.ThrowsAsync<AuthenticationFailedException>(() => credential.GetTokenAsync(Storage, CancellationToken.None).AsTask());

        var server = Assert.IsType<MsalServiceException>(error.InnerException);
        Assert.Equal((400, "invalid_request"), (server.StatusCode, server.ErrorCode));
        Assert.Contains("AADSTS70021: No matching federated identity record found for presented assertion.", server.Message);
        Assert.Contains("Assertion Subject: 'mallory'", server.Message);
    }

    [Fact]
    public async Task TokenEndpoint_WithWrongSubject_AnswersInvalidRequestInEntraShape()
    {
        var (tenant, client) = await NewAppAsync(subject: "alice");

        var (status, body) = await PostTokenAsync(tenant, AssertionForm(client, await AssertionAsync(subject: "mallory")));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
        Assert.Equal(70021, body.GetProperty("error_codes")[0].GetInt32());
        Assert.StartsWith("AADSTS70021: ", body.GetProperty("error_description").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("trace_id").GetString()));
        Assert.False(string.IsNullOrEmpty(body.GetProperty("correlation_id").GetString()));
    }

    [Fact]
    public async Task TokenEndpoint_WithAssertionForWrongAudience_AnswersAadsts700212()
    {
        var (tenant, client) = await NewAppAsync();

        var (status, body) = await PostTokenAsync(tenant, AssertionForm(client, await AssertionAsync(audience: "skyport")));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.StartsWith("AADSTS700212: No matching federated identity record found for presented assertion audience 'skyport'", body.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task TokenEndpoint_WithAssertionFromUntrustedIssuer_AnswersAadsts700211()
    {
        var (tenant, client) = await NewAppAsync();

        var (status, body) = await PostTokenAsync(tenant, AssertionForm(client, await AssertionAsync(iss: "https://untrusted.example.org")));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.StartsWith("AADSTS700211: No matching federated identity record found for presented assertion issuer 'https://untrusted.example.org'",
            body.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task TokenEndpoint_WithExpiredAssertion_AnswersAadsts700024()
    {
        var (tenant, client) = await NewAppAsync();

        var (status, body) = await PostTokenAsync(tenant, AssertionForm(client, await AssertionAsync(expiresIn: -60)));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.StartsWith("AADSTS700024: Client assertion is not within its valid time range.", body.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task TokenEndpoint_WithTamperedAssertion_AnswersInvalidClient()
    {
        var (tenant, client) = await NewAppAsync();

        var (status, body) = await PostTokenAsync(tenant, AssertionForm(client, Cloud.TamperSignature(await AssertionAsync())));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.Contains("signature", body.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task TokenEndpoint_ForUnknownApplication_AnswersUnauthorizedClientAadsts700016()
    {
        var (tenant, _) = await NewAppAsync();

        var (status, body) = await PostTokenAsync(tenant, AssertionForm(Guid.NewGuid().ToString(), await AssertionAsync()));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unauthorized_client", body.GetProperty("error").GetString());
        Assert.Equal(700016, body.GetProperty("error_codes")[0].GetInt32());
    }

    [Fact]
    public async Task TokenEndpoint_ForUnknownTenant_AnswersAadsts90002()
    {
        var (_, client) = await NewAppAsync();

        var (status, body) = await PostTokenAsync(Guid.NewGuid().ToString(), AssertionForm(client, await AssertionAsync()));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(90002, body.GetProperty("error_codes")[0].GetInt32());
    }

    [Fact]
    public async Task TokenEndpoint_WithScopeLackingDefaultSuffix_AnswersInvalidScope()
    {
        var (tenant, client) = await NewAppAsync();
        var form = AssertionForm(client, await AssertionAsync());
        form["scope"] = "https://storage.azure.com/user_impersonation";

        var (status, body) = await PostTokenAsync(tenant, form);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_scope", body.GetProperty("error").GetString());
        Assert.Equal(1002012, body.GetProperty("error_codes")[0].GetInt32());
    }

    [Fact]
    public async Task TokenEndpoint_WithoutGrantType_AnswersAadsts900144()
    {
        var (tenant, client) = await NewAppAsync();
        var form = AssertionForm(client, await AssertionAsync());
        form.Remove("grant_type");

        var (status, body) = await PostTokenAsync(tenant, form);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body.GetProperty("error").GetString());
        Assert.StartsWith("AADSTS900144: The request body must contain the following parameter: 'grant_type'.", body.GetProperty("error_description").GetString());
    }

    [Fact]
    public async Task Discovery_ForTenant_PointsAtTheTokenEndpoint()
    {
        var (tenant, _) = await NewAppAsync();
        using var http = new HttpClient();

        var configuration = await http.GetFromJsonAsync<JsonElement>(new Uri(_cloud.Entra, $"/{tenant}/v2.0/.well-known/openid-configuration"));

        Assert.Equal(new Uri(_cloud.Entra, $"/{tenant}/oauth2/v2.0/token").ToString(), configuration.GetProperty("token_endpoint").GetString());
    }

    private static Dictionary<string, string> AssertionForm(string client, string assertion) => new()
    {
        ["grant_type"] = "client_credentials",
        ["client_id"] = client,
        ["scope"] = "https://storage.azure.com/.default",
        ["client_assertion_type"] = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ["client_assertion"] = assertion,
    };

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostTokenAsync(string tenant, Dictionary<string, string> form)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(_cloud.Entra, $"/{tenant}/oauth2/v2.0/token"), new FormUrlEncodedContent(form));
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }
}
