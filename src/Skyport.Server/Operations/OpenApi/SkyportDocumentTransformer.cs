using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.OpenApi;
using Skyport.Server.ServerInfo;

namespace Skyport.Server.Operations.OpenApi;

/// <summary>
/// The document's title and security schemes, and a plain entry for each endpoint the generator cannot
/// describe because no route handler is behind it (health checks, the Prometheus scrape): the document
/// lists every route the server answers, minus those explicitly excluded from it.
/// </summary>
internal sealed class SkyportDocumentTransformer(EndpointDataSource endpoints) : IOpenApiDocumentTransformer
{
    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Skyport",
            Version = typeof(ServerInfoEndpoints).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
            Description = $"A Galaxy-compatible data server (Galaxy {ServerInfoEndpoints.GalaxyVersion} API subset) that copies datasets "
                          + "between histories and cloud storage. Errors are Galaxy's `{\"err_msg\", \"err_code\", \"request_id\"}`.",
        };
        GalaxySecuritySchemes.AddTo(document);
        document.Paths ??= new OpenApiPaths();
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is { ExcludeFromDescription: true })
            {
                continue;
            }
            var path = PathOf(endpoint.RoutePattern);
            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods is { Count: > 0 } m ? m : ["GET"];
            if (!document.Paths.TryGetValue(path, out var item))
            {
                item = new OpenApiPathItem();
                document.Paths[path] = item;
            }
            var pathItem = (OpenApiPathItem)item;
            pathItem.Operations ??= new Dictionary<HttpMethod, OpenApiOperation>();
            foreach (var method in methods.Select(m => HttpMethod.Parse(m)))
            {
                if (pathItem.Operations.ContainsKey(method))
                {
                    continue;
                }
                pathItem.Operations[method] = new OpenApiOperation
                {
                    OperationId = GalaxyOperationTransformer.OperationId(method.Method, path),
                    Summary = endpoint.DisplayName,
                    Tags = new HashSet<OpenApiTagReference> { new("Operations", document) },
                    Responses = new OpenApiResponses { ["200"] = new OpenApiResponse { Description = "OK" } },
                };
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>The OpenAPI form of a route: <c>/api/x/{id}</c> (constraints, defaults and catch-all stars removed).</summary>
    internal static string PathOf(RoutePattern pattern)
    {
        var segments = pattern.PathSegments.Select(s => string.Concat(s.Parts.Select(p => p switch
        {
            RoutePatternLiteralPart literal => literal.Content,
            RoutePatternParameterPart parameter => "{" + parameter.Name + "}",
            RoutePatternSeparatorPart separator => separator.Content,
            _ => "",
        })));
        return "/" + string.Join('/', segments);
    }
}
