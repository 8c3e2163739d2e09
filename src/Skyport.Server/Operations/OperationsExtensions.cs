using Skyport.Server.Operations.Health;
using Skyport.Server.Operations.Limits;
using Skyport.Server.Operations.Maintenance;
using Skyport.Server.Operations.Metrics;
using Skyport.Server.Operations.OpenApi;
using Skyport.Server.Operations.Proxies;
using Skyport.Server.Operations.RateLimiting;
using Skyport.Server.Operations.RequestLogging;
using Skyport.Server.Operations.Telemetry;

namespace Skyport.Server.Operations;

/// <summary>What an administrator needs to run the server: API docs, health, request logs, limits, metrics and traces.</summary>
public static class OperationsExtensions
{
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.AddApiDocs();
        builder.AddHealth();
        builder.AddReverseProxies();
        builder.AddRequestLogging();
        builder.AddRateLimits();
        builder.AddRequestLimits();
        builder.AddMetrics();
        builder.AddTracing();
        builder.Services.AddScoped<DeletedDataPurger>();
        return builder;
    }

    public static IEndpointRouteBuilder MapOperations(this IEndpointRouteBuilder app)
    {
        app.MapApiDocs();
        app.MapHealth();
        app.MapMetrics();
        return app;
    }
}
