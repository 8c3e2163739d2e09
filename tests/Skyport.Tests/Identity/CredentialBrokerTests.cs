using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Identity;

/// <summary>
/// The broker end to end: a user logs in through the mock provider, registers an authorization, and
/// POST /api/cloud/authz/{id}/test obtains real credentials from each cloud's token-service double.
/// </summary>
public sealed class CredentialBrokerTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private const string TenantId = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    private SkyportServer Server => fixture.Server;
    private TestCloud Cloud => fixture.Cloud;

    private sealed record LoggedIn(SkyportLogin Login, string Subject, string AuthnId) : IDisposable
    {
        public HttpClient Http => Login.Http;
        public void Dispose() => Login.Dispose();
    }

    private async Task<LoggedIn> LogInAsync(int? expiresIn = null)
    {
        var sub = $"sub-{Guid.NewGuid():N}";
        await Cloud.SetClaimsAsync(new OidcClaims(Sub: sub, Email: $"{sub}@example.org", ExpiresIn: expiresIn));
        var login = new SkyportLogin(Server);
        var callback = await login.LoginAsync();
        Assert.True(callback.StatusCode == HttpStatusCode.Redirect, await callback.Content.ReadAsStringAsync());
        var identities = await login.Http.GetFromJsonAsync<JsonElement>("/authnz");
        return new LoggedIn(login, sub, identities[0].GetProperty("id").GetString()!);
    }

    private static async Task<string> CreateAuthzAsync(HttpClient http, object body) =>
        (await GalaxyAssert.OkJsonAsync(await http.PostAsJsonAsync("/api/cloud/authz", body))).GetProperty("id").GetString()!;

    private static async Task<JsonElement> TestAsync(HttpClient http, string authzId) =>
        await GalaxyAssert.OkJsonAsync(await http.PostAsync($"/api/cloud/authz/{authzId}/test", null));

    private static string NewRoleArn() => $"arn:aws:iam::123456789012:role/skyport-{Guid.NewGuid():N}"[..60];

    [Fact]
    public async Task Aws_WithTrustingRole_IssuesCredentials_AndRecordsTheIssuance()
    {
        using var user = await LogInAsync();
        var role = NewRoleArn();
        await Cloud.RegisterAwsRoleAsync(new AwsRole(role, Cloud.Issuer, TestCloud.ClientId, user.Subject));
        var authz = await CreateAuthzAsync(user.Http, new { provider = "aws", config = new { role_arn = role, token_ttl = 900 }, authn_id = user.AuthnId });

        var result = await TestAsync(user.Http, authz);

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        var expires = result.GetProperty("expires_at").GetDateTime();
        Assert.InRange(expires, DateTime.UtcNow.AddMinutes(13), DateTime.UtcNow.AddMinutes(16));
        var issued = await Cloud.IssuedAwsKeysAsync();
        Assert.Contains(issued, k => k.RoleArn == role && k.Subject == user.Subject);
        var issuances = await user.Http.GetFromJsonAsync<JsonElement>($"/api/cloud/credentials/issuances?authz_id={authz}");
        var record = Assert.Single(issuances.EnumerateArray());
        Assert.True(record.GetProperty("succeeded").GetBoolean());
        Assert.Equal("authorization test", record.GetProperty("purpose").GetString());
        Assert.Equal("aws", record.GetProperty("provider").GetString());
        var shown = await user.Http.GetFromJsonAsync<JsonElement>($"/api/cloud/authz/{authz}");
        Assert.NotEqual(JsonValueKind.Null, shown.GetProperty("last_activity").ValueKind);
    }

    [Fact]
    public async Task Aws_WithTrustPolicyForAnotherSubject_ExplainsAccessDenied()
    {
        using var user = await LogInAsync();
        var role = NewRoleArn();
        await Cloud.RegisterAwsRoleAsync(new AwsRole(role, Cloud.Issuer, TestCloud.ClientId, "someone-else"));
        var authz = await CreateAuthzAsync(user.Http, new { provider = "aws", config = new { role_arn = role }, authn_id = user.AuthnId });

        var result = await TestAsync(user.Http, authz);

        Assert.False(result.GetProperty("ok").GetBoolean());
        var error = result.GetProperty("error").GetString()!;
        Assert.Contains("trust policy", error);
        Assert.Contains(Cloud.Issuer, error);
        Assert.Contains(user.Subject, error);
        var issuances = await user.Http.GetFromJsonAsync<JsonElement>($"/api/cloud/credentials/issuances?authz_id={authz}");
        Assert.False(Assert.Single(issuances.EnumerateArray()).GetProperty("succeeded").GetBoolean());
    }

    [Fact]
    public async Task Aws_WithUnregisteredIssuer_ExplainsInvalidIdentityToken()
    {
        using var user = await LogInAsync();
        // The role exists but trusts another identity provider.
        var role = NewRoleArn();
        await Cloud.RegisterAwsRoleAsync(new AwsRole(role, "https://other-idp.example.org", TestCloud.ClientId));
        var authz = await CreateAuthzAsync(user.Http, new { provider = "aws", config = new { role_arn = role }, authn_id = user.AuthnId });

        var result = await TestAsync(user.Http, authz);

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Contains("AWS", result.GetProperty("error").GetString());
    }

    [Fact]
    public async Task IdToken_PastHalfItsLifetime_IsRefreshedBeforeExchange()
    {
        using var user = await LogInAsync(expiresIn: 6);
        var role = NewRoleArn();
        await Cloud.RegisterAwsRoleAsync(new AwsRole(role, Cloud.Issuer, TestCloud.ClientId, user.Subject));
        var authz = await CreateAuthzAsync(user.Http, new { provider = "aws", config = new { role_arn = role, token_ttl = 900 }, authn_id = user.AuthnId });
        var before = await IdTokenIssuedAtAsync(user.Subject);

        await Task.Delay(TimeSpan.FromSeconds(3.5));
        var result = await TestAsync(user.Http, authz);

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.True(await IdTokenIssuedAtAsync(user.Subject) > before, "the id token was not refreshed");
    }

    [Fact]
    public async Task IdToken_WhoseRefreshFails_AsksTheUserToLogInAgain()
    {
        using var user = await LogInAsync(expiresIn: 4);
        var role = NewRoleArn();
        await Cloud.RegisterAwsRoleAsync(new AwsRole(role, Cloud.Issuer, TestCloud.ClientId, user.Subject));
        var authz = await CreateAuthzAsync(user.Http, new { provider = "aws", config = new { role_arn = role }, authn_id = user.AuthnId });
        await Cloud.FailNextRefreshAsync();

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var result = await TestAsync(user.Http, authz);

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Contains($"/authnz/{IdentityFixture.Provider}/login", result.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Azure_Keyless_WithFederatedCredential_GetsStorageToken()
    {
        using var user = await LogInAsync();
        var clientId = Guid.NewGuid().ToString();
        await Cloud.RegisterEntraAppAsync(new EntraApp(TenantId, clientId, Federated: [new FederatedCredential(Cloud.Issuer, user.Subject, TestCloud.ClientId)]));
        var authz = await CreateAuthzAsync(user.Http, new
        {
            provider = "azure",
            config = new { tenant_id = TenantId, client_id = clientId, account_url = "https://127.0.0.1:10000/devstoreaccount1" },
            authn_id = user.AuthnId,
        });

        var result = await TestAsync(user.Http, authz);

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        Assert.True(result.GetProperty("expires_at").GetDateTime() > DateTime.UtcNow);
    }

    [Fact]
    public async Task Azure_Keyless_WithoutMatchingFederatedCredential_ExplainsWhatToConfigure()
    {
        using var user = await LogInAsync();
        var clientId = Guid.NewGuid().ToString();
        await Cloud.RegisterEntraAppAsync(new EntraApp(TenantId, clientId, Federated: [new FederatedCredential(Cloud.Issuer, "another-subject", TestCloud.ClientId)]));
        var authz = await CreateAuthzAsync(user.Http, new
        {
            provider = "azure",
            config = new { tenant_id = TenantId, client_id = clientId, account_name = "labdata" },
            authn_id = user.AuthnId,
        });

        var result = await TestAsync(user.Http, authz);

        Assert.False(result.GetProperty("ok").GetBoolean());
        var error = result.GetProperty("error").GetString()!;
        Assert.Contains("AADSTS", error);
        Assert.Contains($"subject {user.Subject}", error);
    }

    [Fact]
    public async Task Azure_ClientSecret_RightAndWrong_NeverEchoesTheSecret()
    {
        using var user = await LogInAsync();
        var clientId = Guid.NewGuid().ToString();
        const string secret = "entra-app-secret-Zq9";
        await Cloud.RegisterEntraAppAsync(new EntraApp(TenantId, clientId, ClientSecret: secret));
        var good = await CreateAuthzAsync(user.Http, new { provider = "azure", config = new { tenant_id = TenantId, client_id = clientId, account_name = "goodacct", client_secret = secret } });
        var bad = await CreateAuthzAsync(user.Http, new { provider = "azure", config = new { tenant_id = TenantId, client_id = clientId, account_name = "badacct", client_secret = "wrong-secret-Xy7" } });

        var ok = await TestAsync(user.Http, good);
        var refused = await TestAsync(user.Http, bad);

        Assert.True(ok.GetProperty("ok").GetBoolean(), ok.ToString());
        Assert.False(refused.GetProperty("ok").GetBoolean());
        Assert.DoesNotContain("wrong-secret-Xy7", refused.ToString());
        Assert.DoesNotContain(secret, fixture.Logs.All);
        Assert.DoesNotContain("wrong-secret-Xy7", fixture.Logs.All);
    }

    [Fact]
    public async Task Gcp_Keyless_ExchangesAndImpersonates()
    {
        using var user = await LogInAsync();
        var (audience, serviceAccount) = await NewGooglePoolAsync(user.Subject);
        var authz = await CreateAuthzAsync(user.Http, new { provider = "gcp", config = new { audience, service_account_email = serviceAccount }, authn_id = user.AuthnId });

        var result = await TestAsync(user.Http, authz);

        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        var issuances = await user.Http.GetFromJsonAsync<JsonElement>($"/api/cloud/credentials/issuances?authz_id={authz}");
        var record = Assert.Single(issuances.EnumerateArray());
        Assert.Equal(JsonValueKind.String, record.GetProperty("expires_at").ValueKind);
    }

    [Fact]
    public async Task Gcp_Keyless_NotGrantedOnServiceAccount_Fails()
    {
        using var user = await LogInAsync();
        var (audience, serviceAccount) = await NewGooglePoolAsync("someone-else");
        var authz = await CreateAuthzAsync(user.Http, new { provider = "gcp", config = new { audience, service_account_email = serviceAccount }, authn_id = user.AuthnId });

        var result = await TestAsync(user.Http, authz);

        Assert.False(result.GetProperty("ok").GetBoolean());
        Assert.Contains("Google", result.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Authz_WithAnotherUsersIdentity_Returns403()
    {
        using var owner = await LogInAsync();
        using var other = await LogInAsync();

        var response = await other.Http.PostAsJsonAsync("/api/cloud/authz", new { provider = "aws", config = new { role_arn = NewRoleArn() }, authn_id = owner.AuthnId });

        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.Forbidden, 403002);
    }

    [Fact]
    public async Task Disconnect_WhileAnAuthorizationUsesTheIdentity_IsRefused()
    {
        using var user = await LogInAsync();
        var authz = await CreateAuthzAsync(user.Http, new { provider = "aws", config = new { role_arn = NewRoleArn() }, authn_id = user.AuthnId });

        var refused = await user.Http.GetAsync($"/authnz/{IdentityFixture.Provider}/disconnect/{user.Subject}@example.org");
        var message = await GalaxyAssert.ErrorAsync(refused, HttpStatusCode.BadRequest, 0);
        Assert.Contains(authz, message);

        await GalaxyAssert.OkJsonAsync(await user.Http.DeleteAsync($"/api/cloud/authz/{authz}"));
        await GalaxyAssert.OkJsonAsync(await user.Http.GetAsync($"/authnz/{IdentityFixture.Provider}/disconnect/{user.Subject}@example.org"));
    }

    [Fact]
    public async Task NoIssuedCredentialOrTokenAppearsInLogsResponsesOrDatabase()
    {
        using var user = await LogInAsync();
        var role = NewRoleArn();
        await Cloud.RegisterAwsRoleAsync(new AwsRole(role, Cloud.Issuer, TestCloud.ClientId, user.Subject));
        var authz = await CreateAuthzAsync(user.Http, new { provider = "aws", config = new { role_arn = role }, authn_id = user.AuthnId });
        var result = await TestAsync(user.Http, authz);
        Assert.True(result.GetProperty("ok").GetBoolean(), result.ToString());
        var keyIds = (await Cloud.IssuedAwsKeysAsync()).Where(k => k.RoleArn == role).Select(k => k.AccessKeyId).ToList();
        Assert.NotEmpty(keyIds);

        var responses = string.Join('\n', result.ToString(),
            await user.Http.GetStringAsync($"/api/cloud/credentials/issuances?authz_id={authz}"),
            await user.Http.GetStringAsync($"/api/cloud/authz/{authz}"));
        var database = await DumpDatabaseAsync();
        foreach (var keyId in keyIds)
        {
            Assert.DoesNotContain(keyId, responses);
            Assert.DoesNotContain(keyId, fixture.Logs.All);
            Assert.DoesNotContain(keyId, database);
        }
        SecretAssert.NoJwt(database, "the database");
        SecretAssert.NoJwt(fixture.Logs.All, "the logs");
    }

    private async Task<(string Audience, string ServiceAccount)> NewGooglePoolAsync(string member)
    {
        var id = Guid.NewGuid().ToString("N")[..12];
        var audience = $"//iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{id}/providers/oidc-{id}";
        await Cloud.RegisterGooglePoolAsync(new GooglePool(audience, Cloud.Issuer, [TestCloud.ClientId]));
        var serviceAccount = $"sa-{id}@lab-project.iam.gserviceaccount.com";
        var principal = $"principal://iam.googleapis.com/projects/123456789/locations/global/workloadIdentityPools/pool-{id}/subject/{member}";
        await Cloud.RegisterGoogleServiceAccountAsync(serviceAccount, [principal]);
        return (audience, serviceAccount);
    }

    private async Task<DateTime> IdTokenIssuedAtAsync(string subject)
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDir, "skyport.db")}");
        await connection.OpenAsync();
        var command = connection.CreateCommand();
        command.CommandText = "SELECT IdTokenIssuedAt FROM user_identities WHERE Subject = $s";
        command.Parameters.AddWithValue("$s", subject);
        return DateTime.Parse((string)(await command.ExecuteScalarAsync())!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string> DumpDatabaseAsync()
    {
        await using var connection = new SqliteConnection($"Data Source={Path.Combine(Server.DataDir, "skyport.db")}");
        await connection.OpenAsync();
        var tables = new List<string>();
        var list = connection.CreateCommand();
        list.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table'";
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }
        var dump = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            var select = connection.CreateCommand();
            select.CommandText = $"SELECT * FROM \"{table}\"";
            await using var rows = await select.ExecuteReaderAsync();
            while (await rows.ReadAsync())
            {
                for (var i = 0; i < rows.FieldCount; i++)
                {
                    dump.Append(rows.IsDBNull(i) ? "" : Convert.ToString(rows.GetValue(i))).Append('\t');
                }
                dump.Append('\n');
            }
        }
        return dump.ToString();
    }
}
