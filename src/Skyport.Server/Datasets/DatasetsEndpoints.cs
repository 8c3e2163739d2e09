using Skyport.Server.Galaxy;

namespace Skyport.Server.Datasets;

public static class DatasetsEndpoints
{
    public static IEndpointRouteBuilder MapDatasets(this IEndpointRouteBuilder app)
    {
        var datasets = app.MapGroup("/api/datasets").RequireAuthorization().WithTags("Datasets");
        datasets.MapGet("/{id}", (EncodedId id, DatasetsService s, CancellationToken ct) => s.ShowAsync(id, ct));
        datasets.MapPut("/{id}", (EncodedId id, UpdateDatasetRequest body, DatasetsService s, CancellationToken ct) => s.UpdateAsync(id, body, ct));
        datasets.MapDelete("/{id}", (EncodedId id, bool? purge, DatasetsService s, CancellationToken ct) => s.DeleteAsync(id, purge ?? false, ct));
        datasets.MapGet("/{id}/display", (EncodedId id, string? to_ext, DatasetsService s, CancellationToken ct) => s.DisplayAsync(id, to_ext, ct));

        var contents = app.MapGroup("/api/histories/{historyId}/contents").RequireAuthorization().WithTags("Datasets");
        contents.MapGet("/", (EncodedId historyId, HttpRequest r, DatasetsService s, CancellationToken ct) =>
            s.ListContentsAsync(historyId, ParseContentsQuery(r), ct));
        contents.MapGet("/{id}", (EncodedId historyId, EncodedId id, DatasetsService s, CancellationToken ct) => s.ShowInHistoryAsync(historyId, id, ct));
        contents.MapPut("/{id}", (EncodedId historyId, EncodedId id, UpdateDatasetRequest body, DatasetsService s, CancellationToken ct) =>
            s.UpdateInHistoryAsync(historyId, id, body, ct));
        contents.MapDelete("/{id}", (EncodedId historyId, EncodedId id, bool? purge, DatasetsService s, CancellationToken ct) =>
            s.DeleteInHistoryAsync(historyId, id, purge ?? false, ct));
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
