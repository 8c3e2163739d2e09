using System.Net;
using System.Net.Http.Json;
using System.Text;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Users;

public class AuthenticationApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private const string Password = "correct horse battery";

    private SkyportServer Server => fixture.Server;

    [Fact]
    public async Task BaseAuth_WithRightPassword_ReturnsWorkingKey()
    {
        var email = await CreateUserAsync();

        var response = await BaseAuthAsync(Basic($"{email}:{Password}"));

        var key = (await GalaxyAssert.OkJsonAsync(response)).GetProperty("api_key").GetString()!;
        using var client = Server.Client(key);
        var user = await GalaxyAssert.OkJsonAsync(await client.GetAsync("/api/users/current"));
        Assert.Equal(email, user.GetProperty("email").GetString());
    }

    [Fact]
    public async Task BaseAuth_WithEmailInOtherCase_ReturnsKey()
    {
        var email = await CreateUserAsync();
        await GalaxyAssert.OkJsonAsync(await BaseAuthAsync(Basic($"{email.ToUpperInvariant()}:{Password}")));
    }

    [Fact]
    public async Task BaseAuth_WithWrongPassword_Returns401()
    {
        var email = await CreateUserAsync();
        await GalaxyAssert.ErrorAsync(await BaseAuthAsync(Basic($"{email}:not-the-password")), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task BaseAuth_WithUnknownUser_Returns401()
    {
        await GalaxyAssert.ErrorAsync(await BaseAuthAsync(Basic($"nobody-{Guid.NewGuid():N}@example.org:{Password}")), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task BaseAuth_ForAdministratorWithoutPassword_Returns401()
    {
        // The bootstrap administrator has no password: an empty one must not match.
        using var admin = Server.Admin();
        var me = await GalaxyAssert.OkJsonAsync(await admin.GetAsync("/api/users/current"));
        var email = me.GetProperty("email").GetString();
        await GalaxyAssert.ErrorAsync(await BaseAuthAsync(Basic($"{email}:")), HttpStatusCode.Unauthorized, 401001);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer abcdef")]
    [InlineData("Basic")]
    [InlineData("Basic !!!not-base64!!!")]
    [InlineData("Basic bm8tY29sb24taGVyZQ==")] // "no-colon-here"
    [InlineData("Basic OnBhc3N3b3Jk")] // ":password", empty login
    public async Task BaseAuth_WithMalformedHeader_Returns401(string? authorization)
    {
        await GalaxyAssert.ErrorAsync(await BaseAuthAsync(authorization), HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task KeyQueryParameter_AuthenticatesLikeTheHeader()
    {
        var email = await CreateUserAsync();
        var key = (await GalaxyAssert.OkJsonAsync(await BaseAuthAsync(Basic($"{email}:{Password}")))).GetProperty("api_key").GetString()!;
        using var anonymous = Server.Anonymous();

        var user = await GalaxyAssert.OkJsonAsync(await anonymous.GetAsync($"/api/users/current?key={key}"));

        Assert.Equal(email, user.GetProperty("email").GetString());
    }

    [Fact]
    public async Task KeyQueryParameter_WithUnknownKey_Returns401()
    {
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync("/api/users/current?key=0123456789abcdef0123456789abcdef"),
            HttpStatusCode.Unauthorized, 401001);
    }

    [Fact]
    public async Task ApiKeys_AreStoredHashed()
    {
        var email = await CreateUserAsync();
        var keys = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            keys.Add((await GalaxyAssert.OkJsonAsync(await BaseAuthAsync(Basic($"{email}:{Password}")))).GetProperty("api_key").GetString()!);
        }
        using (var client = Server.Client(keys[0]))
        {
            var renewed = await client.PostAsync("/api/users/current/api_key", null);
            keys.Add((await GalaxyAssert.OkJsonAsync(renewed)).GetString()!);
        }
        keys.Add(Server.AdminKey);

        var stored = ReadAllCells("api_keys");

        Assert.NotEmpty(stored);
        foreach (var key in keys)
        {
            Assert.DoesNotContain(stored, cell => cell.Contains(key, StringComparison.OrdinalIgnoreCase));
        }
    }

    [Fact]
    public async Task EveryEndpoint_WithUnknownHeaderKey_Returns401()
    {
        using var wrong = Server.Client("ffffffffffffffffffffffffffffffff");
        await GalaxyAssert.ErrorAsync(await wrong.GetAsync("/api/users/current"), HttpStatusCode.Unauthorized, 401001);
        await GalaxyAssert.ErrorAsync(await wrong.GetAsync("/api/users"), HttpStatusCode.Unauthorized, 401001);
        await GalaxyAssert.ErrorAsync(await wrong.GetAsync($"/api/datasets/{Server.UnknownId()}"), HttpStatusCode.Unauthorized, 401001);
    }

    private async Task<string> CreateUserAsync()
    {
        var email = $"auth-{Guid.NewGuid():N}@example.org";
        using var admin = Server.Admin();
        await GalaxyAssert.OkJsonAsync(await admin.PostAsJsonAsync("/api/users", new { email, password = Password }));
        return email;
    }

    private static string Basic(string credentials) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(credentials));

    private async Task<HttpResponseMessage> BaseAuthAsync(string? authorization)
    {
        using var client = Server.Anonymous();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/authenticate/baseauth");
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }

    /// <summary>Every cell of a table as text, read straight from the server's database.</summary>
    private List<string> ReadAllCells(string table)
    {
        using var connection = Server.OpenDatabase();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {table}";
        using var reader = command.ExecuteReader();
        var cells = new List<string>();
        while (reader.Read())
        {
            for (var i = 0; i < reader.FieldCount; i++)
            {
                cells.Add(reader.IsDBNull(i) ? "" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)!);
            }
        }
        return cells;
    }
}
