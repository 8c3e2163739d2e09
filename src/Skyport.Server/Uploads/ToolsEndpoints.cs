using System.Text.Json;

namespace Skyport.Server.Uploads;

public static class ToolsEndpoints
{
    public static IEndpointRouteBuilder MapTools(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/tools").RequireAuthorization().WithTags("Uploads");
        g.MapPost("/fetch", (JsonElement body, ToolsService s, CancellationToken ct) => s.FetchAsync(body, ct));
        g.MapPost("/", (HttpRequest request, ToolsService s, CancellationToken ct) => s.RunUploadAsync(request, ct));
        return app;
    }
}
