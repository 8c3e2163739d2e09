using System.Text.Json;
using Skyport.Server.Cloud.Storage;
using Skyport.Server.Datasets;
using Skyport.Server.Galaxy;
using Skyport.Server.Operations.OpenApi;

namespace Skyport.Server.Cloud;

public static class CloudStorageEndpoints
{
    public static IEndpointRouteBuilder MapCloudStorage(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/cloud/storage").RequireAuthorization().WithTags("Cloud storage");
        g.MapPost("/get", (JsonElement body, CloudGetService s, CancellationToken ct) => s.GetAsync(body, ct))
            .Accepts<CloudGetBody>("application/json").Produces<IReadOnlyList<DatasetSummary>>();
        g.MapPost("/send", (JsonElement body, CloudSendService s, CancellationToken ct) => s.SendAsync(body, ct)).Accepts<CloudSendBody>("application/json");
        g.MapGet("/list", (HttpRequest r, CloudListService s, CancellationToken ct) => s.ListAsync(
            r.Query["authz_id"].FirstOrDefault(), r.Query["bucket"].FirstOrDefault(), r.Query["prefix"].FirstOrDefault(),
            r.Query["delimiter"].FirstOrDefault(), QueryValues.Int(r, "limit", 1, 1000), r.Query["page_token"].FirstOrDefault(), ct));
        return app;
    }
}
