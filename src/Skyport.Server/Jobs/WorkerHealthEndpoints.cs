using Microsoft.Extensions.Options;

namespace Skyport.Server.Jobs;

public static class WorkerHealthEndpoints
{
    /// <summary><c>GET /health</c> on a dedicated worker: it is up and how many workers it runs. No data, no authentication.</summary>
    public static IEndpointRouteBuilder MapWorkerHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (IOptions<JobsOptions> jobs) => Results.Json(new { status = "ok", workers = jobs.Value.Workers }));
        return app;
    }
}
