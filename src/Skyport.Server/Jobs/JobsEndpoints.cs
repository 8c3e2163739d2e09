using Skyport.Server.Galaxy;

namespace Skyport.Server.Jobs;

public static class JobsEndpoints
{
    public static IEndpointRouteBuilder MapJobs(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/jobs").RequireAuthorization().WithTags("Jobs");
        g.MapGet("/", (HttpRequest r, JobsService s, CancellationToken ct) => s.ListAsync(
            r.Query["history_id"].FirstOrDefault() is { } h ? new EncodedId(h) : null,
            r.Query["state"].Where(v => v is not null).ToArray()!,
            QueryValues.Int(r, "limit", 1, 10_000), QueryValues.Int(r, "offset"), ct));
        g.MapGet("/{id}", (EncodedId id, JobsService s, CancellationToken ct) => s.ShowAsync(id, ct));
        g.MapDelete("/{id}", (EncodedId id, JobsService s, CancellationToken ct) => s.CancelAsync(id, ct));
        return app;
    }
}
