using Microsoft.AspNetCore.HttpLogging;
using OpenTelemetry.Metrics;
using Skyport.Server.Configuration;
using Skyport.Server.Operations.Telemetry;

namespace Skyport.Server.Operations.Metrics;

/// <summary>
/// OpenTelemetry metrics: ASP.NET Core's request duration per route (<c>http.server.request.duration</c>, with
/// <c>http.route</c>), Kestrel's connections, and Skyport's meter, exported for Prometheus and over OTLP
/// (<see cref="TelemetryOptions"/>) when enabled. The instruments exist either way, so any other listener
/// (dotnet-counters, say) sees them.
/// </summary>
public static class MetricsSetup
{
    public static WebApplicationBuilder AddMetrics(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<MetricsOptions>(MetricsOptions.Section);
        builder.Services.AddSingleton<JobQueueGauges>();
        builder.Services.AddSingleton<SkyportMetrics>();
        var prometheus = Settings(builder.Configuration).PrometheusEnabled;
        var otlp = TracingSetup.Settings(builder.Configuration);
        if (prometheus || otlp.OtlpEnabled)
        {
            builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddMeter("Microsoft.AspNetCore.Server.Kestrel", SkyportMetrics.MeterName);
                if (prometheus)
                {
                    metrics.AddPrometheusExporter();
                }
                if (otlp.OtlpEnabled)
                {
                    metrics.AddOtlpExporter(exporter => TracingSetup.ConfigureExporter(exporter, otlp, "metrics"));
                }
            });
        }
        return builder;
    }

    private static MetricsOptions Settings(IConfiguration configuration) =>
        configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>() ?? new MetricsOptions();

    public static IEndpointRouteBuilder MapMetrics(this IEndpointRouteBuilder app)
    {
        // Read unvalidated, as at registration: validation at start reports a bad value with every other one.
        var settings = Settings(app.ServiceProvider.GetRequiredService<IConfiguration>());
        if (settings.PrometheusEnabled)
        {
            app.MapPrometheusScrapingEndpoint(settings.PrometheusPath)
                .WithDisplayName("Prometheus metrics").DisableRateLimiting().WithHttpLogging(HttpLoggingFields.None);
        }
        return app;
    }
}
