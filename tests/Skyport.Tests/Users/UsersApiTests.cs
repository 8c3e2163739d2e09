using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Users;

public class UsersApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    private static string NewEmail() => $"user-{Guid.NewGuid():N}@example.org";

    [Fact]
    public async Task Current_ReturnsGalaxyFields()
    {
        var email = NewEmail();
        using var client = await Server.NewUserAsync(email);

        var user = await GalaxyAssert.OkJsonAsync(await client.GetAsync("/api/users/current"));

        Assert.Matches("^[0-9a-f]{16}$", user.GetProperty("id").GetString());
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.False(string.IsNullOrEmpty(user.GetProperty("username").GetString()));
        Assert.False(user.GetProperty("is_admin").GetBoolean());
        Assert.Equal(0, user.GetProperty("total_disk_usage").GetInt64());
        Assert.Equal("0 bytes", user.GetProperty("nice_total_disk_usage").GetString());
    }

    [Fact]
    public async Task Current_AsAdministrator_ReportsIsAdmin()
    {
        using var admin = Server.Admin();
        var user = await GalaxyAssert.OkJsonAsync(await admin.GetAsync("/api/users/current"));
        Assert.True(user.GetProperty("is_admin").GetBoolean());
    }

    [Fact]
    public async Task Current_DiskUsageGrowsAfterPaste()
    {
        using var client = await Server.NewUserAsync();
        var before = await GalaxyAssert.OkJsonAsync(await client.GetAsync("/api/users/current"));
        var historyId = await client.CreateHistoryAsync();
        const string content = "chr1\t100\t200\nchr1\t300\t400\n";

        var dataset = await client.WaitForDatasetAsync(await client.PasteAsync(historyId, content, "bed"));

        Assert.Equal("ok", dataset.GetProperty("state").GetString());
        var after = await GalaxyAssert.OkJsonAsync(await client.GetAsync("/api/users/current"));
        var size = dataset.GetProperty("file_size").GetInt64();
        Assert.Equal(Encoding.UTF8.GetByteCount(content), size);
        Assert.Equal(before.GetProperty("total_disk_usage").GetInt64() + size, after.GetProperty("total_disk_usage").GetInt64());
        Assert.Equal($"{size} bytes", after.GetProperty("nice_total_disk_usage").GetString());
    }

    [Fact]
    public async Task Current_WithoutApiKey_Returns401()
    {
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync("/api/users/current"), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task List_AsAdministrator_ShowsEveryUser()
    {
        var first = NewEmail();
        var second = NewEmail();
        using var a = await Server.NewUserAsync(first);
        using var b = await Server.NewUserAsync(second);
        using var admin = Server.Admin();

        var users = await GalaxyAssert.OkJsonAsync(await admin.GetAsync("/api/users"));

        var emails = users.EnumerateArray().Select(u => u.GetProperty("email").GetString()).ToList();
        Assert.Contains(first, emails);
        Assert.Contains(second, emails);
        Assert.Contains(users.EnumerateArray(), u => u.GetProperty("is_admin").GetBoolean());
    }

    [Fact]
    public async Task List_AsNormalUser_ShowsOnlyThemselves()
    {
        var email = NewEmail();
        using var client = await Server.NewUserAsync(email);
        using var other = await Server.NewUserAsync();

        var users = await GalaxyAssert.OkJsonAsync(await client.GetAsync("/api/users"));

        Assert.Equal(email, Assert.Single(users.EnumerateArray()).GetProperty("email").GetString());
    }

    [Fact]
    public async Task Show_OwnUser_ReturnsIt()
    {
        var email = NewEmail();
        using var client = await Server.NewUserAsync(email);
        var id = await CurrentIdAsync(client);

        var user = await GalaxyAssert.OkJsonAsync(await client.GetAsync($"/api/users/{id}"));

        Assert.Equal(id, user.GetProperty("id").GetString());
        Assert.Equal(email, user.GetProperty("email").GetString());
    }

    [Fact]
    public async Task Show_WithCurrentAlias_ReturnsCaller()
    {
        using var client = await Server.NewUserAsync();
        var id = await CurrentIdAsync(client);
        // A route other than /api/users/current: the alias must also work where an id is expected.
        var response = await client.PostAsync("/api/users/current/api_key", null);
        var key = await ReadKeyAsync(response);
        using var renewed = Server.Client(key);

        var user = await GalaxyAssert.OkJsonAsync(await renewed.GetAsync("/api/users/current"));

        Assert.Equal(id, user.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Show_WithOtherUsersId_Returns403()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var ownerId = await CurrentIdAsync(owner);

        await GalaxyAssert.ErrorAsync(await other.GetAsync($"/api/users/{ownerId}"), HttpStatusCode.Forbidden, 403002);
    }

    [Fact]
    public async Task Show_AsAdministrator_SeesOtherUser()
    {
        var email = NewEmail();
        using var client = await Server.NewUserAsync(email);
        var id = await CurrentIdAsync(client);
        using var admin = Server.Admin();

        var user = await GalaxyAssert.OkJsonAsync(await admin.GetAsync($"/api/users/{id}"));

        Assert.Equal(email, user.GetProperty("email").GetString());
    }

    [Fact]
    public async Task Show_WithMalformedId_Returns400009()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.GetAsync($"/api/users/{TestIds.MalformedId}"), HttpStatusCode.BadRequest, 400009);
    }

    [Fact]
    public async Task Show_AsAdministratorWithUnknownId_Returns404()
    {
        using var admin = Server.Admin();
        await GalaxyAssert.ErrorAsync(await admin.GetAsync($"/api/users/{Server.UnknownId()}"), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task Create_AsAdministrator_ReturnsTheNewUser()
    {
        var email = NewEmail();
        using var admin = Server.Admin();

        var user = await GalaxyAssert.OkJsonAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = "secret-password", username = "newcomer" }));

        Assert.Matches("^[0-9a-f]{16}$", user.GetProperty("id").GetString());
        Assert.Equal(email, user.GetProperty("email").GetString());
        Assert.Equal("newcomer", user.GetProperty("username").GetString());
        Assert.False(user.GetProperty("is_admin").GetBoolean());
    }

    [Fact]
    public async Task Create_AsNormalUser_Returns403006()
    {
        using var client = await Server.NewUserAsync();
        var email = NewEmail();

        await GalaxyAssert.ErrorAsync(await client.PostAsJsonAsync("/api/users", new { email, password = "secret-password" }),
            HttpStatusCode.Forbidden, 403006);

        using var admin = Server.Admin();
        var users = await GalaxyAssert.OkJsonAsync(await admin.GetAsync("/api/users"));
        Assert.DoesNotContain(users.EnumerateArray(), u => u.GetProperty("email").GetString() == email);
    }

    [Fact]
    public async Task Create_WithoutApiKey_Returns401()
    {
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.PostAsJsonAsync("/api/users", new { email = NewEmail(), password = "secret-password" }),
            HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task Create_WithoutEmail_Returns400007()
    {
        using var admin = Server.Admin();
        var message = await GalaxyAssert.ErrorAsync(await admin.PostAsJsonAsync("/api/users", new { password = "secret-password" }),
            HttpStatusCode.BadRequest, 400007);
        Assert.Contains("email", message);
    }

    [Fact]
    public async Task Create_WithoutPassword_Returns400007()
    {
        using var admin = Server.Admin();
        var message = await GalaxyAssert.ErrorAsync(await admin.PostAsJsonAsync("/api/users", new { email = NewEmail() }),
            HttpStatusCode.BadRequest, 400007);
        Assert.Contains("password", message);
    }

    [Fact]
    public async Task Create_WithDuplicateEmail_Returns409()
    {
        var email = NewEmail();
        using var admin = Server.Admin();
        await GalaxyAssert.OkJsonAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = "secret-password" }));

        await GalaxyAssert.ErrorAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = "other-password" }),
            HttpStatusCode.Conflict, 409001);
        // Emails are compared without case, as mail servers do.
        await GalaxyAssert.ErrorAsync(await admin.PostAsJsonAsync("/api/users", new { email = email.ToUpperInvariant(), password = "other-password" }),
            HttpStatusCode.Conflict, 409001);
    }

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("two@at@example.org")]
    [InlineData("with space@example.org")]
    public async Task Create_WithInvalidEmail_Returns400008(string email)
    {
        using var admin = Server.Admin();
        await GalaxyAssert.ErrorAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = "secret-password" }),
            HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task Create_WithShortPassword_Returns400008()
    {
        using var admin = Server.Admin();
        await GalaxyAssert.ErrorAsync(await admin.PostAsJsonAsync("/api/users", new { email = NewEmail(), password = "123" }),
            HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task Create_WithWrongTypedEmail_Returns400008()
    {
        using var admin = Server.Admin();
        await GalaxyAssert.ErrorAsync(await admin.PostAsJsonAsync("/api/users", new { email = 42, password = "secret-password" }),
            HttpStatusCode.BadRequest, 400008);
    }

    [Theory]
    [InlineData("{\"email\": ")]
    [InlineData("[\"a@example.org\", \"secret-password\"]")]
    [InlineData("\"a@example.org\"")]
    public async Task Create_WithMalformedBody_Returns400008(string body)
    {
        using var admin = Server.Admin();
        var response = await admin.PostAsync("/api/users", new StringContent(body, Encoding.UTF8, "application/json"));
        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task Create_SameEmailConcurrently_OneSucceedsOthersReturn409()
    {
        var email = NewEmail();
        using var admin = Server.Admin();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            admin.PostAsJsonAsync("/api/users", new { email, password = "secret-password" })));

        Assert.Single(responses, r => r.IsSuccessStatusCode);
        foreach (var response in responses.Where(r => !r.IsSuccessStatusCode))
        {
            await GalaxyAssert.ErrorAsync(response, HttpStatusCode.Conflict, 409001);
        }
    }

    [Fact]
    public async Task Create_SameUsernameConcurrently_AllSucceedWithDistinctUsernames()
    {
        // Different emails, same local part: every user derives the same username and must still get a unique one.
        var local = $"same-{Guid.NewGuid():N}";
        using var admin = Server.Admin();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            admin.PostAsJsonAsync("/api/users", new { email = $"{local}@host{i}.example.org", password = "secret-password" })));

        var usernames = new List<string>();
        foreach (var response in responses)
        {
            usernames.Add((await GalaxyAssert.OkJsonAsync(response)).GetProperty("username").GetString()!);
        }
        Assert.Equal(usernames.Count, usernames.Distinct().Count());
    }

    [Fact]
    public async Task NewApiKey_ReturnsKeyString_AndOldKeyStopsWorking()
    {
        var email = NewEmail();
        using var admin = Server.Admin();
        var created = await admin.PostAsJsonAsync("/api/users", new { email, password = "secret-password" });
        var id = (await GalaxyAssert.OkJsonAsync(created)).GetProperty("id").GetString()!;
        var oldKey = await BaseAuthAsync(email, "secret-password");
        using var old = Server.Client(oldKey);

        var newKey = await ReadKeyAsync(await old.PostAsync($"/api/users/{id}/api_key", null));

        Assert.NotEqual(oldKey, newKey);
        await GalaxyAssert.ErrorAsync(await old.GetAsync("/api/users/current"), HttpStatusCode.Unauthorized, 401001);
        using var renewed = Server.Client(newKey);
        var user = await GalaxyAssert.OkJsonAsync(await renewed.GetAsync("/api/users/current"));
        Assert.Equal(email, user.GetProperty("email").GetString());
    }

    [Fact]
    public async Task NewApiKey_ForOtherUser_Returns403_AndTheirKeyKeepsWorking()
    {
        using var owner = await Server.NewUserAsync();
        using var other = await Server.NewUserAsync();
        var ownerId = await CurrentIdAsync(owner);

        await GalaxyAssert.ErrorAsync(await other.PostAsync($"/api/users/{ownerId}/api_key", null), HttpStatusCode.Forbidden, 403002);

        await GalaxyAssert.OkJsonAsync(await owner.GetAsync("/api/users/current"));
    }

    [Fact]
    public async Task NewApiKey_WithMalformedId_Returns400009()
    {
        using var client = await Server.NewUserAsync();
        await GalaxyAssert.ErrorAsync(await client.PostAsync($"/api/users/{TestIds.MalformedId}/api_key", null), HttpStatusCode.BadRequest, 400009);
    }

    [Fact]
    public async Task NewApiKey_AsAdministratorWithUnknownId_Returns404()
    {
        using var admin = Server.Admin();
        await GalaxyAssert.ErrorAsync(await admin.PostAsync($"/api/users/{Server.UnknownId()}/api_key", null), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task NewApiKey_WithoutApiKey_Returns401()
    {
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.PostAsync("/api/users/current/api_key", null), HttpStatusCode.Unauthorized, 401001);
    }

    private async Task<string> BaseAuthAsync(string login, string password)
    {
        using var basic = Server.Anonymous();
        basic.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic",
            Convert.ToBase64String(Encoding.UTF8.GetBytes($"{login}:{password}")));
        var body = await GalaxyAssert.OkJsonAsync(await basic.GetAsync("/api/authenticate/baseauth"));
        return body.GetProperty("api_key").GetString()!;
    }

    private static async Task<string> CurrentIdAsync(HttpClient client) =>
        (await GalaxyAssert.OkJsonAsync(await client.GetAsync("/api/users/current"))).GetProperty("id").GetString()!;

    /// <summary>Galaxy answers the new key as a JSON string (BioBlend parses every response as JSON).</summary>
    private static async Task<string> ReadKeyAsync(HttpResponseMessage response)
    {
        var body = await GalaxyAssert.OkJsonAsync(response);
        Assert.Equal(JsonValueKind.String, body.ValueKind);
        var key = body.GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", key);
        return key;
    }
}
