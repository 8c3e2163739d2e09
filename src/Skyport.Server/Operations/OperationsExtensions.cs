using Skyport.Server.Operations.Health;
using Skyport.Server.Operations.Limits;
using Skyport.Server.Operations.Maintenance;
using Skyport.Server.Operations.Metrics;
using Skyport.Server.Operations.OpenApi;
using Skyport.Server.Operations.RateLimiting;
using Skyport.Server.Operations.RequestLogging;

namespace Skyport.Server.Operations;

/// <summary>What an administrator needs to run the server: API docs, health, request logs, limits and metrics.</summary>
public static class OperationsExtensions
{
    public static WebApplicationBuilder AddOperations(this WebApplicationBuilder builder)
    {
        builder.AddApiDocs();
        builder.AddHealth();
        builder.AddRequestLogging();
        builder.AddRateLimits();
        builder.AddRequestLimits();
        builder.AddMetrics();
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
