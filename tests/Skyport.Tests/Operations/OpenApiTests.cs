using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Skyport.Server.Operations.OpenApi;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Operations;

public sealed class OpenApiTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SkyportServer Server => fixture.Server;

    private async Task<JsonElement> DocumentAsync()
    {
        using var client = Server.Anonymous();
        return await GalaxyAssert.OkJsonAsync(await client.GetAsync("/api/openapi.json"));
    }

    [Fact]
    public async Task Document_ListsEveryMappedRouteAndMethod()
    {
        var paths = (await DocumentAsync()).GetProperty("paths");
        var endpoints = Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true })
            .ToList();

        Assert.True(endpoints.Count > 40, $"Only {endpoints.Count} endpoints were found");
        var missing = new List<string>();
        foreach (var endpoint in endpoints)
        {
            var path = SkyportDocumentTransformer.PathOf(endpoint.RoutePattern).TrimEnd('/');
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var item = paths.EnumerateObject().FirstOrDefault(p => p.Name.TrimEnd('/') == path);
            foreach (var method in methods)
            {
                if (item.Value.ValueKind != JsonValueKind.Object || !item.Value.TryGetProperty(method.ToLowerInvariant(), out _))
                {
                    missing.Add($"{method} {path}");
                }
            }
        }
        Assert.True(missing.Count == 0, "Not in /api/openapi.json: " + string.Join(", ", missing));
    }

    [Fact]
    public async Task Document_DescribesSchemasTheErrorEnvelopeAndAuthentication()
    {
        var document = await DocumentAsync();
        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());

        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal(("header", "x-api-key"), Scheme(schemes, GalaxySecuritySchemes.ApiKeyHeader));
        Assert.Equal(("query", "key"), Scheme(schemes, GalaxySecuritySchemes.ApiKeyQuery));
        Assert.Equal(("cookie", "skyport_session"), Scheme(schemes, GalaxySecuritySchemes.SessionCookie));

        var error = document.GetProperty("components").GetProperty("schemas").GetProperty("GalaxyError").GetProperty("properties");
        Assert.True(error.TryGetProperty("err_msg", out _) && error.TryGetProperty("err_code", out _) && error.TryGetProperty("request_id", out _));

        var showHistory = document.GetProperty("paths").GetProperty("/api/histories/{id}").GetProperty("get");
        Assert.EndsWith("/HistoryDetails", ResponseSchemaRef(showHistory, "200"));
        Assert.EndsWith("/GalaxyError", ResponseSchemaRef(showHistory, "4XX"));
        Assert.EndsWith("/GalaxyError", ResponseSchemaRef(showHistory, "401"));
        Assert.EndsWith("/GalaxyError", ResponseSchemaRef(showHistory, "429"));
        var security = showHistory.GetProperty("security").EnumerateArray().SelectMany(r => r.EnumerateObject().Select(p => p.Name)).ToHashSet();
        Assert.Equal([GalaxySecuritySchemes.ApiKeyHeader, GalaxySecuritySchemes.ApiKeyQuery, GalaxySecuritySchemes.SessionCookie], security.Order());

        var updateHistory = document.GetProperty("paths").GetProperty("/api/histories/{id}").GetProperty("put");
        Assert.EndsWith("/UpdateHistoryRequest", RequestSchemaRef(updateHistory));
        var cloudGet = document.GetProperty("paths").GetProperty("/api/cloud/storage/get").GetProperty("post");
        Assert.EndsWith("/CloudGetBody", RequestSchemaRef(cloudGet));
        var fetch = document.GetProperty("paths").GetProperty("/api/tools/fetch").GetProperty("post");
        Assert.EndsWith("/FetchBody", RequestSchemaRef(fetch));
        Assert.EndsWith("/ToolResponse", ResponseSchemaRef(fetch, "200"));

        // Anonymous routes carry no security requirement; operation ids are unique.
        Assert.False(document.GetProperty("paths").GetProperty("/api/version").GetProperty("get").TryGetProperty("security", out _));
        var operationIds = document.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Select(o => o.Value.GetProperty("operationId").GetString())).ToList();
        Assert.Equal(operationIds.Count, operationIds.Distinct().Count());
    }

    [Fact]
    public async Task DocsPage_IsServedWithItsScripts_FromThisServerOnly()
    {
        using var client = Server.Anonymous();

        var page = await client.GetStringAsync("/api/docs/");

        Assert.Contains("api/openapi.json", page);
        Assert.DoesNotContain("http://", page);
        Assert.DoesNotContain("https://", page);
        var scripts = System.Text.RegularExpressions.Regex.Matches(page, "src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(scripts);
        foreach (var script in scripts)
        {
            using var response = await client.GetAsync("/api/docs/" + script);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.True((await response.Content.ReadAsByteArrayAsync()).Length > 1000, $"{script} is almost empty");
        }
    }

    private static (string?, string?) Scheme(JsonElement schemes, string name)
    {
        var scheme = schemes.GetProperty(name);
        Assert.Equal("apiKey", scheme.GetProperty("type").GetString());
        return (scheme.GetProperty("in").GetString(), scheme.GetProperty("name").GetString());
    }

    private static string? ResponseSchemaRef(JsonElement operation, string status) =>
        operation.GetProperty("responses").GetProperty(status).GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("$ref").GetString();

    private static string? RequestSchemaRef(JsonElement operation) =>
        operation.GetProperty("requestBody").GetProperty("content").GetProperty("application/json")
            .GetProperty("schema").GetProperty("$ref").GetString();
}
