using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Apis.Auth.OAuth2;
using Google.Apis.Auth.OAuth2.Responses;
using Skyport.Tests.Infrastructure;
using Cloud = Skyport.Tests.Infrastructure.TestCloud;

namespace Skyport.Tests.TestDoubles;

/// <summary>The Google STS and IAM Credentials doubles, driven through Google.Apis.Auth's external_account credential.</summary>
public sealed class GoogleFederationDoubleTests(TestCloudFixture fixture) : IClassFixture<TestCloudFixture>, IDisposable
{
    private const string TokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange";
    private const string StorageScope = "https://www.googleapis.com/auth/devstorage.read_write";
    private readonly Cloud _cloud = fixture.Cloud;
    private readonly string _tokenFile = Path.Combine(TempFolder.Create("skyport-gcp"), "id-token.jwt");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_tokenFile)!, recursive: true);

    /// <summary>A fresh pool provider trusting the test provider with Google's default allowed audience, and a service account granted to <paramref name="member"/>.</summary>
    private async Task<(string Audience, string ServiceAccount)> NewPoolAsync(string? member = null)
    {
        var id = Guid.NewGuid().ToString("N")[..8];
        var audience = $"//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{id}/providers/oidc-{id}";
        await _cloud.RegisterGooglePoolAsync(new GooglePool(audience, _cloud.Issuer));
        var serviceAccount = $"skyport-{id}@skyport-test.iam.gserviceaccount.com";
        var principal = $"principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{id}/subject/alice";
        await _cloud.RegisterGoogleServiceAccountAsync(serviceAccount, [member ?? principal]);
        return (audience, serviceAccount);
    }

    private Task<string> IdTokenAsync(string audience, string subject = "alice", int? expiresIn = null, string? iss = null) =>
        _cloud.MintIdTokenAsync(new OidcClaims(Sub: subject, Aud: $"https:{audience}", ExpiresIn: expiresIn, Iss: iss));

    private async Task<ITokenAccess> ExternalAccountAsync(string audience, string serviceAccount, string idToken)
    {
        await File.WriteAllTextAsync(_tokenFile, idToken);
        var json = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "external_account",
            ["audience"] = audience,
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["token_url"] = new Uri(_cloud.GoogleSts, "/v1/token").ToString(),
            ["service_account_impersonation_url"] = new Uri(_cloud.GoogleIam, $"/v1/projects/-/serviceAccounts/{serviceAccount}:generateAccessToken").ToString(),
            ["credential_source"] = new Dictionary<string, object> { ["file"] = _tokenFile },
        });
        // GoogleCredential.FromJson is obsolete in 1.78 (untyped credential JSON is a security risk): load the expected type.
        var credential = CredentialFactory.FromJson<FileSourcedExternalAccountCredential>(json).ToGoogleCredential().CreateScoped(StorageScope);
        return (ITokenAccess)credential.UnderlyingCredential;
    }

    [Fact]
    public async Task ExternalAccountCredential_WithGrantedPrincipal_GetsImpersonatedServiceAccountToken()
    {
        var (audience, serviceAccount) = await NewPoolAsync();
        var credential = await ExternalAccountAsync(audience, serviceAccount, await IdTokenAsync(audience));

        var token = await credential.GetAccessTokenForRequestAsync();

        Assert.StartsWith("ya29.c.", token); // the IAM double's token, not the federated one (ya29.d.)
    }

    [Fact]
    public async Task ExternalAccountCredential_WithPrincipalNotGranted_Fails()
    {
        var (audience, serviceAccount) = await NewPoolAsync(member: "someone-else");
        var credential = await ExternalAccountAsync(audience, serviceAccount, await IdTokenAsync(audience));

        var error = await Assert.ThrowsAsync<TokenResponseException>(() => credential.GetAccessTokenForRequestAsync());

        // IAM's error body ({error: {code, message, status}}) is not an OAuth error, so the SDK reports only the status, as with real IAM.
        Assert.Equal(HttpStatusCode.Forbidden, error.StatusCode);
    }

    [Fact]
    public async Task ExternalAccountCredential_WithWrongSubjectTokenAudience_FailsWithInvalidGrant()
    {
        var (audience, serviceAccount) = await NewPoolAsync();
        var idToken = await _cloud.MintIdTokenAsync(new OidcClaims(Sub: "alice", Aud: "skyport"));
        var credential = await ExternalAccountAsync(audience, serviceAccount, idToken);

        var error = await Assert.ThrowsAsync<TokenResponseException>(() => credential.GetAccessTokenForRequestAsync());

        Assert.Equal("invalid_grant", error.Error.Error);
        Assert.Contains("does not match the expected audience", error.Error.ErrorDescription);
    }

    [Fact]
    public async Task Sts_WithValidIdToken_IssuesFederatedToken()
    {
        var (audience, _) = await NewPoolAsync();

        var (status, body) = await ExchangeAsync(audience, await IdTokenAsync(audience));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Bearer", body.GetProperty("token_type").GetString());
        Assert.Equal("urn:ietf:params:oauth:token-type:access_token", body.GetProperty("issued_token_type").GetString());
        Assert.InRange(body.GetProperty("expires_in").GetInt32(), 3000, 3600);
        Assert.StartsWith("ya29.d.", body.GetProperty("access_token").GetString());
    }

    [Fact]
    public async Task Sts_WithWrongAudience_AnswersInvalidGrant()
    {
        var (audience, _) = await NewPoolAsync();

        var (status, body) = await ExchangeAsync(audience, await _cloud.MintIdTokenAsync(new OidcClaims(Aud: "skyport")));

        AssertStsError(status, body, "invalid_grant", "The audience in ID Token [skyport] does not match the expected audience");
    }

    [Fact]
    public async Task Sts_WithUntrustedIssuer_AnswersInvalidGrant()
    {
        var (audience, _) = await NewPoolAsync();

        var (status, body) = await ExchangeAsync(audience, await IdTokenAsync(audience, iss: "https://untrusted.example.org"));

        AssertStsError(status, body, "invalid_grant", "The issuer in ID Token https://untrusted.example.org does not match the expected ones");
    }

    [Fact]
    public async Task Sts_WithExpiredIdToken_AnswersInvalidGrant()
    {
        var (audience, _) = await NewPoolAsync();

        var (status, body) = await ExchangeAsync(audience, await IdTokenAsync(audience, expiresIn: -60));

        AssertStsError(status, body, "invalid_grant", "ID Token expired");
    }

    [Fact]
    public async Task Sts_WithTamperedIdToken_AnswersInvalidGrant()
    {
        var (audience, _) = await NewPoolAsync();

        var (status, body) = await ExchangeAsync(audience, Cloud.TamperSignature(await IdTokenAsync(audience)));

        AssertStsError(status, body, "invalid_grant", "signature");
    }

    [Fact]
    public async Task Sts_ForUnregisteredProvider_AnswersInvalidTarget()
    {
        var (audience, _) = await NewPoolAsync();
        var other = audience.Replace("/providers/oidc-", "/providers/gone-");

        var (status, body) = await ExchangeAsync(other, await IdTokenAsync(other));

        AssertStsError(status, body, "invalid_target", "The target service indicated by the \"audience\" parameters is invalid");
    }

    [Fact]
    public async Task Sts_WithMalformedAudience_AnswersInvalidRequest()
    {
        var (audience, _) = await NewPoolAsync();

        var (status, body) = await ExchangeAsync("projects/123/pools/x", await IdTokenAsync(audience));

        AssertStsError(status, body, "invalid_request", "Invalid value for \"audience\"");
    }

    [Fact]
    public async Task Iam_WithoutFederatedToken_Answers401Unauthenticated()
    {
        var (_, serviceAccount) = await NewPoolAsync();

        var (status, body) = await GenerateAccessTokenAsync(serviceAccount, "ya29.d.not-issued-here");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("UNAUTHENTICATED", body.GetProperty("error").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Iam_ForServiceAccountNotGrantedToPrincipal_Answers403PermissionDenied()
    {
        var (audience, _) = await NewPoolAsync();
        var (_, exchanged) = await ExchangeAsync(audience, await IdTokenAsync(audience));
        var (_, otherAccount) = await NewPoolAsync();

        var (status, body) = await GenerateAccessTokenAsync(otherAccount, exchanged.GetProperty("access_token").GetString()!);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        var error = body.GetProperty("error");
        Assert.Equal(403, error.GetProperty("code").GetInt32());
        Assert.Equal("PERMISSION_DENIED", error.GetProperty("status").GetString());
        Assert.Equal("Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Iam_WithLifetimeOverOneHour_Answers400InvalidArgument()
    {
        var (audience, serviceAccount) = await NewPoolAsync();
        var (_, exchanged) = await ExchangeAsync(audience, await IdTokenAsync(audience));

        var (status, body) = await GenerateAccessTokenAsync(serviceAccount, exchanged.GetProperty("access_token").GetString()!, lifetime: "7200s");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("INVALID_ARGUMENT", body.GetProperty("error").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Iam_ForGrantedPrincipal_ReturnsAccessTokenAndExpireTime()
    {
        var (audience, serviceAccount) = await NewPoolAsync();
        var (_, exchanged) = await ExchangeAsync(audience, await IdTokenAsync(audience));

        var (status, body) = await GenerateAccessTokenAsync(serviceAccount, exchanged.GetProperty("access_token").GetString()!, lifetime: "600s");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("ya29.c.", body.GetProperty("accessToken").GetString());
        Assert.InRange(body.GetProperty("expireTime").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddSeconds(590), DateTimeOffset.UtcNow.AddSeconds(601));
    }

    private static void AssertStsError(HttpStatusCode status, JsonElement body, string error, string description)
    {
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(error, body.GetProperty("error").GetString());
        Assert.Contains(description, body.GetProperty("error_description").GetString());
    }

    private async Task<(HttpStatusCode, JsonElement)> ExchangeAsync(string audience, string idToken)
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(new Uri(_cloud.GoogleSts, "/v1/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = TokenExchange,
            ["audience"] = audience,
            ["scope"] = "https://www.googleapis.com/auth/cloud-platform",
            ["requested_token_type"] = "urn:ietf:params:oauth:token-type:access_token",
            ["subject_token_type"] = "urn:ietf:params:oauth:token-type:jwt",
            ["subject_token"] = idToken,
        }));
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private async Task<(HttpStatusCode, JsonElement)> GenerateAccessTokenAsync(string serviceAccount, string bearer, string lifetime = "3600s")
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_cloud.GoogleIam, $"/v1/projects/-/serviceAccounts/{serviceAccount}:generateAccessToken"))
        {
            Content = JsonContent.Create(new { scope = new[] { StorageScope }, lifetime }),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }
}
