using System.Text.Json;
using Skyport.Server.Operations.OpenApi;

namespace Skyport.Server.Uploads;

public static class ToolsEndpoints
{
    public static IEndpointRouteBuilder MapTools(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/tools").RequireAuthorization().WithTags("Uploads");
        g.MapPost("/fetch", (JsonElement body, ToolsService s, CancellationToken ct) => s.FetchAsync(body, ct)).Accepts<FetchBody>("application/json");
        g.MapPost("/", (HttpRequest request, ToolsService s, CancellationToken ct) => s.RunUploadAsync(request, ct))
            .Accepts<Upload1Body>("application/json", "multipart/form-data");
        return app;
    }
}
