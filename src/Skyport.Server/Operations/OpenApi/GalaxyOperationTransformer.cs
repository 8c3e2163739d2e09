using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Operations.OpenApi;

/// <summary>
/// What every operation shares, added once here instead of on each endpoint: an operation id derived from
/// method and route, Galaxy's error envelope for 4XX/5XX answers, 429 from the rate limiter, and the
/// authentication schemes of endpoints that require a signed-in caller.
/// </summary>
internal sealed class GalaxyOperationTransformer : IOpenApiOperationTransformer
{
    public const string ErrorSchemaId = "GalaxyError";

    public async Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("The OpenAPI document is not available to operation transformers.");
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        operation.OperationId ??= OperationId(context.Description.HttpMethod, context.Description.RelativePath);

        document.Components ??= new OpenApiComponents();
        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        if (!document.Components.Schemas.ContainsKey(ErrorSchemaId))
        {
            document.AddComponent(ErrorSchemaId, await context.GetOrCreateSchemaAsync(typeof(GalaxyError), null, cancellationToken));
        }
        GalaxySecuritySchemes.AddTo(document);
        await DescribeLenientBodyAsync(operation, context, document, metadata, cancellationToken);

        operation.Responses ??= new OpenApiResponses();
        var requiresAuthentication = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        if (requiresAuthentication)
        {
            operation.Security = GalaxySecuritySchemes.Requirements(document);
            operation.Responses.TryAdd("401", Error(document, "No valid API key or session (err_code 401001)."));
        }
        operation.Responses.TryAdd("429", Error(document, "Too many requests from this user or address; see the Retry-After header."));
        operation.Responses.TryAdd("4XX", Error(document, "Galaxy's error envelope: 400007 missing, 400008 invalid, 400009 malformed id, 403002 not yours, 404001 not found, 409001 conflict, 413001 too large."));
        operation.Responses.TryAdd("5XX", Error(document, "Server fault (err_code 500001); details are only in the server's log, under the request id."));
    }

    /// <summary>
    /// Handlers that read their body leniently take a <see cref="JsonElement"/> (or the raw request); their
    /// <c>.Accepts&lt;T&gt;()</c> names the documented shape, which replaces the generator's untyped body.
    /// </summary>
    private static async Task DescribeLenientBodyAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context,
        OpenApiDocument document, IList<object> metadata, CancellationToken cancellationToken)
    {
        var accepts = metadata.OfType<IAcceptsMetadata>().LastOrDefault(a => a.RequestType is not null && a.RequestType != typeof(JsonElement));
        if (accepts?.RequestType is not { } type)
        {
            return;
        }
        if (!document.Components!.Schemas!.ContainsKey(type.Name))
        {
            document.AddComponent(type.Name, await context.GetOrCreateSchemaAsync(type, null, cancellationToken));
        }
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = !accepts.IsOptional,
            Content = accepts.ContentTypes.ToDictionary(t => t, _ => new OpenApiMediaType { Schema = new OpenApiSchemaReference(type.Name, document) }),
        };
    }

    private static OpenApiResponse Error(OpenApiDocument document, string description) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new() { Schema = new OpenApiSchemaReference(ErrorSchemaId, document) },
        },
    };

    /// <summary><c>GET api/histories/{id}/contents</c> → <c>get_api_histories_id_contents</c>: unique, stable, readable.</summary>
    internal static string OperationId(string? method, string? path)
    {
        var id = new StringBuilder((method ?? "any").ToLowerInvariant());
        foreach (var segment in (path ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            id.Append('_');
            foreach (var c in segment)
            {
                id.Append(char.IsAsciiLetterOrDigit(c) ? char.ToLowerInvariant(c) : c is '{' or '}' ? "" : "_");
            }
        }
        return id.ToString();
    }
}
