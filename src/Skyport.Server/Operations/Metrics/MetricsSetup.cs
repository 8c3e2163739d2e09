using Microsoft.AspNetCore.HttpLogging;
using OpenTelemetry.Metrics;
using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.Metrics;

/// <summary>
/// OpenTelemetry metrics: ASP.NET Core's request duration per route (<c>http.server.request.duration</c>, with
/// <c>http.route</c>), Kestrel's connections, and Skyport's meter, exported for Prometheus when enabled.
/// The instruments exist either way, so any other listener (dotnet-counters, an OTLP exporter added later) sees them.
/// </summary>
public static class MetricsSetup
{
    public static WebApplicationBuilder AddMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<MetricsOptions>(MetricsOptions.Section);
        builder.Services.AddSingleton<JobQueueGauges>();
        builder.Services.AddSingleton<SkyportMetrics>();
        var settings = builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();
        if (settings.PrometheusEnabled)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter("Microsoft.AspNetCore.Server.Kestrel", SkyportMetrics.MeterName)
                .AddPrometheusExporter());
        }
        return builder;
    }

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        var settings = app.ServiceProvider.GetRequiredService<Microsoft.Extensions.Options.IOptions<MetricsOptions>>().Value;
        if (settings.PrometheusEnabled)
        {
            app.MapPrometheusScrapingEndpoint(settings.PrometheusPath)
                .WithDisplayName("Prometheus metrics").DisableRateLimiting().WithHttpLogging(HttpLoggingFields.None);
        }
        return app;
    }
}
