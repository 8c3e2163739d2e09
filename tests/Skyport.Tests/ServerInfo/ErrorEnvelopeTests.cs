using System.Net;
using System.Text;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.ServerInfo;

/// <summary>Every /api failure, including the framework's own, answers with Galaxy's envelope and never a 500.</summary>
public sealed class ErrorEnvelopeTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    [Theory]
    [InlineData("/api/no-such-route")]
    [InlineData("/api/histories/0123456789abcdef/no-such-child")]
    [InlineData("/api/datasets/0123456789abcdef/display/extra")]
    public async Task UnknownApiRoute_Returns404Envelope(string path)
    {
        using var admin = Server.Admin();
        await GalaxyAssert.ErrorAsync(await admin.GetAsync(path), HttpStatusCode.NotFound, 404001);
    }

    [Fact]
    public async Task UnknownApiRoute_WithoutApiKey_Returns404Envelope()
    {
        using var anonymous = Server.Anonymous();
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync("/api/no-such-route"), HttpStatusCode.NotFound, 404001);
    }

    [Theory]
    [InlineData("DELETE", "/api/version")]
    [InlineData("POST", "/api/datatypes")]
    [InlineData("PATCH", "/api/histories")]
    [InlineData("POST", "/api/users/current")]
    public async Task WrongMethod_Returns405Envelope(string method, string path)
    {
        using var admin = Server.Admin();
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        var response = await admin.SendAsync(request);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.MethodNotAllowed, $"Expected 405 but got {(int)response.StatusCode}: {body}");
        var json = System.Text.Json.JsonDocument.Parse(body).RootElement;
        Assert.True(json.GetProperty("err_code").GetInt32() > 0);
        Assert.False(string.IsNullOrWhiteSpace(json.GetProperty("err_msg").GetString()));
        Assert.NotEmpty(response.Content.Headers.Allow);
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("[{\"name\": \"x\"}]")]
    [InlineData("\"a string\"")]
    [InlineData("42")]
    [InlineData("true")]
    public async Task JsonThatIsNotAnObject_Returns400Envelope(string body)
    {
        using var client = await Server.NewUserAsync();
        var historyId = await client.CreateHistoryAsync();
        var requests = new (HttpMethod Method, string Path)[]
        {
            (HttpMethod.Post, "/api/histories"),
            (HttpMethod.Put, $"/api/histories/{historyId}"),
            (HttpMethod.Post, "/api/users"),
            (HttpMethod.Put, $"/api/datasets/{Server.UnknownId()}"),
            (HttpMethod.Put, $"/api/histories/{historyId}/contents/{Server.UnknownId()}"),
            (HttpMethod.Post, "/api/tools/fetch"),
        };
        foreach (var (method, path) in requests)
        {
            using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode is >= 400 and < 500, $"{method} {path} with {body}: got {(int)response.StatusCode}: {text}");
            using var json = System.Text.Json.JsonDocument.Parse(text);
            Assert.True(json.RootElement.TryGetProperty("err_code", out _), $"{method} {path} with {body}: no envelope: {text}");
            Assert.True(json.RootElement.TryGetProperty("err_msg", out _), $"{method} {path} with {body}: no envelope: {text}");
        }
    }

    [Fact]
    public async Task JsonThatIsNotAnObject_ForPasteUpload_Returns400008()
    {
        using var client = await Server.NewUserAsync();
        var response = await client.PostAsync("/api/tools/fetch", new StringContent("[1]", Encoding.UTF8, "application/json"));
        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task EmptyBody_WhereObjectExpected_Returns400Envelope()
    {
        using var admin = Server.Admin();
        var response = await admin.PostAsync("/api/users", new StringContent("", Encoding.UTF8, "application/json"));
        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
    }

    [Fact]
    public async Task NonJsonContentType_WhereJsonExpected_Returns4xxEnvelope()
    {
        using var admin = Server.Admin();
        var response = await admin.PostAsync("/api/users", new StringContent("email=a@example.org", Encoding.UTF8, "text/plain"));
        var status = (int)response.StatusCode;
        Assert.True(status is 400 or 415, $"Expected 400 or 415, got {status}");
        await GalaxyAssert.ErrorAsync(response, response.StatusCode, 400008);
    }

    [Fact]
    public async Task DeeplyNestedJson_Returns400Envelope()
    {
        using var admin = Server.Admin();
        var body = new string('[', 5000) + new string(']', 5000);
        var response = await admin.PostAsync("/api/histories", new StringContent(body, Encoding.UTF8, "application/json"));
        await GalaxyAssert.ErrorAsync(response, HttpStatusCode.BadRequest, 400008);
    }
}
