using Skyport.Server.Galaxy;

namespace Skyport.Server.Datasets;

public static class DatasetsEndpoints
{
    public static IEndpointRouteBuilder MapDatasets(this IEndpointRouteBuilder app)
    {
        var datasets = app.MapGroup("/api/datasets").RequireAuthorization().WithTags("Datasets");
        datasets.MapGet("/{id}", (EncodedId id, DatasetsService s, CancellationToken ct) => s.ShowAsync(id, ct));
        datasets.MapPut("/{id}", (EncodedId id, UpdateDatasetRequest body, DatasetsService s, CancellationToken ct) => s.UpdateAsync(id, body, ct));
        datasets.MapDelete("/{id}", async (EncodedId id, HttpRequest r, DatasetsService s, CancellationToken ct) =>
            await s.DeleteAsync(id, await PurgeFlag.ReadAsync(r, ct), ct));
        datasets.MapGet("/{id}/display", (EncodedId id, string? to_ext, DatasetsService s, CancellationToken ct) => s.DisplayAsync(id, to_ext, ct));

        var contents = app.MapGroup("/api/histories/{historyId}/contents").RequireAuthorization().WithTags("Datasets");
        contents.MapGet("/", (EncodedId historyId, HttpRequest r, DatasetsService s, CancellationToken ct) =>
            s.ListContentsJsonAsync(historyId, ParseContentsQuery(r), ct))
            .Produces<IReadOnlyList<DatasetContentItem>>();
        contents.MapGet("/{id}", (EncodedId historyId, EncodedId id, DatasetsService s, CancellationToken ct) => s.ShowInHistoryAsync(historyId, id, ct));
        contents.MapPut("/{id}", (EncodedId historyId, EncodedId id, UpdateDatasetRequest body, DatasetsService s, CancellationToken ct) =>
            s.UpdateInHistoryAsync(historyId, id, body, ct));
        contents.MapDelete("/{id}", async (EncodedId historyId, EncodedId id, HttpRequest r, DatasetsService s, CancellationToken ct) =>
            await s.DeleteInHistoryAsync(historyId, id, await PurgeFlag.ReadAsync(r, ct), ct));
        // The download_url Galaxy (and BioBlend's download_dataset) uses.
        contents.MapGet("/{id}/display", (EncodedId historyId, EncodedId id, string? to_ext, DatasetsService s, CancellationToken ct) =>
            s.DisplayInHistoryAsync(historyId, id, to_ext, ct));
        return app;
    }

    private static ContentsQuery ParseContentsQuery(HttpRequest request) => new(
        QueryValues.Int(request, "limit", 0, 100_000),
        QueryValues.Int(request, "offset"),
        QueryValues.Bool(request, "deleted"),
        QueryValues.Bool(request, "visible"),
        request.Query["types"].FirstOrDefault());
}
