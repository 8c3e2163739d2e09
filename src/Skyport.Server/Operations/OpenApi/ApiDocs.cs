using Scalar.AspNetCore;

namespace Skyport.Server.Operations.OpenApi;

/// <summary>
/// The generated OpenAPI document of every endpoint at <c>/api/openapi.json</c> (ASP.NET Core's generator,
/// completed by <see cref="GalaxyOperationTransformer"/> and <see cref="SkyportDocumentTransformer"/>) and an
/// interactive reference at <c>/api/docs</c> (Scalar, served from the package itself: no CDN, works offline).
/// </summary>
public static class ApiDocs
{
    public const string DocumentPath = "/api/openapi.json";
    public const string DocsPath = "/api/docs";

    public static WebApplicationBuilder AddApiDocs(this WebApplicationBuilder builder)
    {
        builder.Services.AddOpenApi(options =>
        {
            options.AddOperationTransformer<GalaxyOperationTransformer>();
            options.AddDocumentTransformer<SkyportDocumentTransformer>();
        });
        return builder;
    }

    public static IEndpointRouteBuilder MapApiDocs(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi(DocumentPath);
        app.MapScalarApiReference(DocsPath, options => options
            .WithTitle("Skyport API")
            .WithOpenApiRoutePattern(DocumentPath)
            .DisableTelemetry()
            .DisableDefaultFonts()
            .DisableAgent()
            .DisableMcp()
            .AddPreferredSecuritySchemes(GalaxySecuritySchemes.ApiKeyHeader));
        return app;
    }
}
