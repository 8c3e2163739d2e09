using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Skyport.Server.Configuration;
using Skyport.Server.Operations.Health;
using Skyport.Server.Operations.Metrics;

namespace Skyport.Server.Operations.Telemetry;

/// <summary>
/// OpenTelemetry traces, exported over OTLP when <c>Skyport:Telemetry:OtlpEnabled</c> is set (off by default, and
/// then nothing listens, so no span is even created): Skyport's own spans (<see cref="SkyportTelemetry"/>), one
/// server span per request (ASP.NET Core's, tagged by <see cref="RequestLogging.RequestLogMiddleware"/> with the
/// request id and the caller's encoded user id, as its log event is) and one
/// client span per outgoing HTTP call (cloud stores, token services, OIDC). URL query values are redacted by the
/// instrumentation, so neither <c>?key=</c> nor a SAS signature is exported.
/// </summary>
public static class TracingSetup
{
    public static WebApplicationBuilder AddTracing(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<TelemetryOptions>(TelemetryOptions.Section);
        var settings = Settings(builder.Configuration);
        if (!settings.OtlpEnabled)
        {
            return builder;
        }
        var metricsPath = builder.Configuration.GetSection(MetricsOptions.Section).Get<MetricsOptions>()?.PrometheusPath ?? new MetricsOptions().PrometheusPath;
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(settings.ServiceName,
                serviceVersion: typeof(TracingSetup).Assembly.GetName().Version?.ToString(3)))
            .WithTracing(tracing => tracing
                // Clamped here only so that building the sampler cannot throw first: validation at start reports a bad ratio.
                .SetSampler(new ParentBasedSampler(new TraceIdRatioBasedSampler(double.IsNaN(settings.TraceSampleRatio) ? 1 : Math.Clamp(settings.TraceSampleRatio, 0, 1))))
                .AddSource(SkyportTelemetry.SourceName)
                .AddAspNetCoreInstrumentation(options =>
                {
                    // Probes and scrapes would drown the traces that matter.
                    // The request id and user id are added by the request log's enricher, which knows them.
                    options.Filter = context => !IsProbe(context.Request.Path, metricsPath);
                })
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(exporter => ConfigureExporter(exporter, settings, "traces")));
        return builder;
    }

    internal static TelemetryOptions Settings(IConfiguration configuration) =>
        configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();

    /// <param name="signal"><c>traces</c> or <c>metrics</c>: with http/protobuf the collector takes each at its own path.</param>
    internal static void ConfigureExporter(OtlpExporterOptions exporter, TelemetryOptions settings, string signal)
    {
        // Read unvalidated at registration; a bad value is reported by validation at start before anything is sent.
        if (!Uri.TryCreate(settings.OtlpEndpoint, UriKind.Absolute, out var endpoint))
        {
            return;
        }
        if (settings.OtlpProtocol == TelemetryOptions.Grpc)
        {
            exporter.Protocol = OtlpExportProtocol.Grpc;
            exporter.Endpoint = endpoint;
        }
        else
        {
            exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
            exporter.Endpoint = new Uri(endpoint.AbsoluteUri.TrimEnd('/') + "/v1/" + signal);
        }
    }

    private static bool IsProbe(PathString path, string metricsPath) =>
        path.Equals(HealthEndpoints.LivePath, StringComparison.OrdinalIgnoreCase)
        || path.Equals(HealthEndpoints.ReadyPath, StringComparison.OrdinalIgnoreCase)
        || path.Equals(metricsPath, StringComparison.OrdinalIgnoreCase);
}
