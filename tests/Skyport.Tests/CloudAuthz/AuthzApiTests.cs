using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.CloudAuthz;

/// <summary>/api/cloud/authz without logins: validation, secrets kept secret, and ownership.</summary>
public class AuthzApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Secret = "very-secret-client-value-123";
    private SkyportServer Server => fixture.Server;

    private static object AzureWithSecret(string account = "skyportdata") => new
    {
        provider = "azure",
        config = new { tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47", client_id = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9", account_name = account, client_secret = Secret },
        description = "lab storage",
    };

    [Fact]
    public async Task Create_AzureWithSecret_ReturnsGalaxyFieldsWithoutTheSecret()
    {
        using var client = await Server.NewUserAsync();

        var response = await client.PostAsJsonAsync("/api/cloud/authz", AzureWithSecret());
        var text = await response.Content.ReadAsStringAsync();
        var authz = await GalaxyAssert.OkJsonAsync(response);

        Assert.DoesNotContain(Secret, text);
        Assert.Equal("CloudAuthz", authz.GetProperty("model_class").GetString());
        Assert.Equal("azure", authz.GetProperty("provider").GetString());
        Assert.Equal("skyportdata", authz.GetProperty("config").GetProperty("account_name").GetString());
        Assert.False(authz.GetProperty("config").TryGetProperty("client_secret", out _));
        Assert.True(authz.GetProperty("secrets").GetProperty("client_secret").GetBoolean());
        foreach (var field in new[] { "id", "user_id", "authn_id", "description", "create_time", "last_update", "last_activity" })
        {
            Assert.True(authz.TryGetProperty(field, out _), $"missing {field}");
        }
        var listed = await client.GetStringAsync("/api/cloud/authz");
        Assert.DoesNotContain(Secret, listed);
        var shown = await client.GetStringAsync($"/api/cloud/authz/{authz.GetProperty("id").GetString()}");
        Assert.DoesNotContain(Secret, shown);
    }

    [Fact]
    public async Task Create_StoresSecretEncrypted()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.OkJsonAsync(await client.PostAsJsonAsync("/api/cloud/authz", AzureWithSecret("encryptedacct")));

        await using var connection = Server.OpenDatabase();
        var command = connection.CreateCommand();
        command.CommandText = "SELECT \"Config\", \"ProtectedSecrets\" FROM cloud_authz";
        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
            Assert.DoesNotContain(Secret, reader.GetString(0));
            Assert.DoesNotContain(Secret, reader.IsDBNull(1) ? "" : reader.GetString(1));
        }
        Assert.True(rows > 0);
    }

    [Fact]
    public async Task Update_WithoutSecret_KeepsIt_AndEmptySecretRemovesIt()
    {
        using var client = await Server.NewUserAsync();
        var created = await GalaxyAssert.OkJsonAsync(await client.PostAsJsonAsync("/api/cloud/authz", AzureWithSecret("keepacct")));
        var id = created.GetProperty("id").GetString();

        var renamed = await GalaxyAssert.OkJsonAsync(await client.PutAsJsonAsync($"/api/cloud/authz/{id}", new
        {
            config = new { tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47", client_id = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9", account_name = "keepacct2" },
        }));
        Assert.True(renamed.GetProperty("secrets").GetProperty("client_secret").GetBoolean());
        Assert.Equal("keepacct2", renamed.GetProperty("config").GetProperty("account_name").GetString());

        // Without the secret and without a login identity, Azure has no way to get tokens: refused, nothing changed.
        var removed = await client.PutAsJsonAsync($"/api/cloud/authz/{id}", new
        {
            config = new { tenant_id = "72f988bf-86f1-41af-91ab-2d7cd011db47", client_id = "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9", account_name = "keepacct2", client_secret = "" },
        });
        await GalaxyAssert.ErrorAsync(removed, HttpStatusCode.BadRequest, 400007);
        var after = await client.GetFromJsonAsync<JsonElement>($"/api/cloud/authz/{id}");
        Assert.True(after.GetProperty("secrets").GetProperty("client_secret").GetBoolean());
    }

    [Fact]
    public async Task Create_Duplicate_Returns400WithGalaxyMessage()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.OkJsonAsync(await client.PostAsJsonAsync("/api/cloud/authz", AzureWithSecret("dupacct")));

        var message = await GalaxyAssert.ErrorAsync(await client.PostAsJsonAsync("/api/cloud/authz", AzureWithSecret("dupacct")), HttpStatusCode.BadRequest, 400008);

        Assert.Equal("A similar cloud authorization configuration is already defined.", message);
    }

    [Theory]
    [InlineData("""{"config": {}}""", 400007, "provider")]
    [InlineData("""{"provider": "aws"}""", 400007, "config")]
    [InlineData("""{"provider": "dropbox", "config": {}}""", 400008, "dropbox")]
    [InlineData("""{"provider": "aws", "config": {"role_arn": "not-an-arn"}, "authn_id": null}""", 400008, "config.role_arn")]
    [InlineData("""{"provider": "aws", "config": {"role_arn": "arn:aws:iam::123456789012:role/skyport"}}""", 400007, "authn_id")]
    [InlineData("""{"provider": "aws", "config": {"role_arn": "arn:aws:iam::123456789012:role/skyport", "token_ttl": 60}}""", 400008, "config.token_ttl")]
    [InlineData("""{"provider": "aws", "config": {"role_arn": "arn:aws:iam::123456789012:role/skyport", "colour": "blue"}}""", 400008, "config.colour")]
    [InlineData("""{"provider": "azure", "config": {"tenant_id": "x y", "client_id": "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9", "account_name": "abc"}}""", 400008, "config.tenant_id")]
    [InlineData("""{"provider": "azure", "config": {"tenant_id": "contoso.com", "client_id": "0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9"}}""", 400007, "config.account_name")]
    [InlineData("""{"provider": "gcp", "config": {"audience": "//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/providers/x", "client_email": "a@b.iam.gserviceaccount.com", "private_key": "-----BEGIN PRIVATE KEY-----"}}""", 400008, "either")]
    [InlineData("""{"provider": "gcp", "config": {"audience": "https://wrong"}}""", 400008, "config.audience")]
    [InlineData("""{"provider": "aws", "config": "role"}""", 400008, "config")]
    [InlineData("""{"provider": "aws", "config": {"role_arn": "arn:aws:iam::123456789012:role/skyport"}, "authn_id": "zz"}""", 400009, "authn_id")]
    public async Task Create_WithBadInput_ReturnsErrorNamingTheField(string body, int errCode, string mentioned)
    {
        using var client = await Server.NewUserAsync();

        var response = await client.PostAsync("/api/cloud/authz", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var message = await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, errCode);
        Assert.Contains(mentioned, message);
        Assert.Empty((await client.GetFromJsonAsync<JsonElement>("/api/cloud/authz")).EnumerateArray());
    }

    [Fact]
    public async Task Create_GcpServiceAccountKey_IsAccepted_AndPrivateKeyHidden()
    {
        using var client = await Server.NewUserAsync();
        const string key = "-----BEGIN PRIVATE KEY-----\nMIIEsecretmaterial\n-----END PRIVATE KEY-----\n";

        var response = await client.PostAsJsonAsync("/api/cloud/authz", new
        {
            provider = "gcp",
            config = new { type = "service_account", project_id = "lab", private_key_id = "abc", private_key = key, client_email = "skyport@lab.iam.gserviceaccount.com", client_id = "123" },
        });
        var text = await response.Content.ReadAsStringAsync();
        var authz = await GalaxyAssert.OkJsonAsync(response);

        Assert.DoesNotContain("secretmaterial", text);
        Assert.True(authz.GetProperty("secrets").GetProperty("private_key").GetBoolean());
        Assert.Equal("lab", authz.GetProperty("config").GetProperty("project_id").GetString());
    }

    [Fact]
    public async Task ForeignAuthz_IsForbiddenOnEveryEndpoint()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var created = await GalaxyAssert.OkJsonAsync(await owner.PostAsJsonAsync("/api/cloud/authz", AzureWithSecret("foreignacct")));
        var id = created.GetProperty("id").GetString();

        await GalaxyAssert.ErrorAsync(await other.GetAsync($"/api/cloud/authz/{id}"), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.PutAsJsonAsync($"/api/cloud/authz/{id}", new { description = "x" }), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.DeleteAsync($"/api/cloud/authz/{id}"), HttpStatusCode.Forbidden, 403002);
        await GalaxyAssert.ErrorAsync(await other.PostAsync($"/api/cloud/authz/{id}/test", null), HttpStatusCode.Forbidden, 403002);
        Assert.Empty((await other.GetFromJsonAsync<JsonElement>("/api/cloud/authz")).EnumerateArray());
        Assert.Single((await owner.GetFromJsonAsync<JsonElement>("/api/cloud/authz")).EnumerateArray());
    }

    [Fact]
    public async Task UnknownAndMalformedIds_Return404And400()
    {
        using var client = await Server.NewUserAsync();
        var created = await GalaxyAssert.OkJsonAsync(await client.PostAsJsonAsync("/api/cloud/authz", AzureWithSecret("goneacct")));
        var id = created.GetProperty("id").GetString();
        await GalaxyAssert.OkJsonAsync(await client.DeleteAsync($"/api/cloud/authz/{id}"));

        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/cloud/authz/{id}"), HttpStatusCode.NotFound, 404001);
        await GalaxyAssert.ErrorAsync(await client.GetAsync("/api/cloud/authz/xyz"), HttpStatusCode.BadRequest, 400009);
    }

    [Fact]
    public async Task Authz_WithoutApiKey_Returns401()
    {
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync("/api/cloud/authz"), HttpStatusCode.Unauthorized, 401001);
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync("/authnz"), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task Login_WithUnknownProvider_Returns400008()
    {
        using var client = Server.Anonymous();
        var message = await GalaxyAssert.ErrorAsync(await client.GetAsync("/authnz/nowhere/login"), HttpStatusCode.BadRequest, 400008);
        Assert.Contains("nowhere", message);
    }
}
