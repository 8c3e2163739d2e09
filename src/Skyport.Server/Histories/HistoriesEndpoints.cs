using Skyport.Server.Galaxy;

namespace Skyport.Server.Histories;

public static class HistoriesEndpoints
{
    public static IEndpointRouteBuilder MapHistories(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/histories").RequireAuthorization().WithTags("Histories");
        g.MapGet("/", (HttpRequest r, HistoriesService s, CancellationToken ct) => s.ListAsync(ParseListQuery(r), ct));
        g.MapPost("/", (CreateHistoryRequest? body, HistoriesService s, CancellationToken ct) => s.CreateAsync(body, ct));
        g.MapGet("/{id}", (EncodedId id, HistoriesService s, CancellationToken ct) => s.ShowAsync(id, ct));
        g.MapPut("/{id}", (EncodedId id, UpdateHistoryRequest body, HistoriesService s, CancellationToken ct) => s.UpdateAsync(id, body, ct));
        g.MapDelete("/{id}", async (EncodedId id, HttpRequest r, HistoriesService s, CancellationToken ct) =>
            await s.DeleteAsync(id, await PurgeFlag.ReadAsync(r, ct), ct));
        return app;
    }

    private static HistoryListQuery ParseListQuery(HttpRequest request) => new(
        QueryValues.Bool(request, "deleted"),
        QueryValues.Int(request, "limit"),
        QueryValues.Int(request, "offset"),
        request.Query["q"].Where(v => v is not null).ToArray()!,
        request.Query["qv"].Where(v => v is not null).ToArray()!);
}
