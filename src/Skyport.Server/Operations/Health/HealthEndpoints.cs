using Microsoft.AspNetCore.HttpLogging;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Skyport.Server.Data;

namespace Skyport.Server.Operations.Health;

/// <summary>
/// <c>/healthz</c>: the process answers (runs no check). <c>/readyz</c>: the database is reachable, its
/// migrations are applied and the data folder is writable. Both anonymous, exempt from rate limits and
/// request logs, and they say only each check's status: never an exception, a path or a connection string.
/// </summary>
public static class HealthEndpoints
{
    public const string LivePath = "/healthz";
    public const string ReadyPath = "/readyz";
    public const string ReadyTag = "ready";
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(5);

    public static WebApplicationBuilder AddHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks()
            .AddDbContextCheck<SkyportDbContext>("database", HealthStatus.Unhealthy, [ReadyTag])
            .AddCheck<MigrationsHealthCheck>("migrations", HealthStatus.Unhealthy, [ReadyTag], CheckTimeout)
            .AddCheck<DataFolderHealthCheck>("storage", HealthStatus.Unhealthy, [ReadyTag], CheckTimeout);
        return builder;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks(LivePath, new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync })
            .WithDisplayName("Liveness: the process is up").AllowAnonymous().DisableRateLimiting().WithHttpLogging(HttpLoggingFields.None);
        app.MapHealthChecks(ReadyPath, new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync })
            .WithDisplayName("Readiness: database reachable, migrations applied, data folder writable")
            .AllowAnonymous().DisableRateLimiting().WithHttpLogging(HttpLoggingFields.None);
        return app;
    }

    /// <summary><c>{"status": "Healthy", "checks": {"database": "Healthy", ...}}</c>: statuses only.</summary>
    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        var body = new Dictionary<string, object>
        {
            ["status"] = report.Status.ToString(),
            ["checks"] = report.Entries.ToDictionary(e => e.Key, e => e.Value.Status.ToString()),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, cancellationToken: context.RequestAborted);
    }
}
