using Microsoft.OpenApi;

namespace Skyport.Server.Operations.OpenApi;

/// <summary>The three ways a caller authenticates, as OpenAPI security schemes; any one of them is enough.</summary>
internal static class GalaxySecuritySchemes
{
    public const string ApiKeyHeader = "ApiKeyHeader";
    public const string ApiKeyQuery = "ApiKeyQuery";
    public const string SessionCookie = "SessionCookie";

    public static void AddTo(OpenApiDocument document)
    {
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes.TryAdd(ApiKeyHeader, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Header, Name = "x-api-key",
            Description = "Galaxy's API key (from `./skyport users create`, `POST /api/users/{id}/api_key` or `/api/authenticate/baseauth`).",
        });
        document.Components.SecuritySchemes.TryAdd(ApiKeyQuery, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Query, Name = "key",
            Description = "The same API key as a query parameter (`?key=`), as older Galaxy clients send it. Never logged.",
        });
        document.Components.SecuritySchemes.TryAdd(SessionCookie, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey, In = ParameterLocation.Cookie, Name = "skyport_session",
            Description = "The session cookie an OpenID Connect login (`/authnz/{provider}/login`) sets.",
        });
    }

    public static List<OpenApiSecurityRequirement> Requirements(OpenApiDocument document) =>
        [.. new[] { ApiKeyHeader, ApiKeyQuery, SessionCookie }.Select(name =>
            new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(name, document)] = [] })];
}
