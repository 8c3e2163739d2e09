using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.Metrics;

/// <summary><c>Skyport:Metrics</c>: OpenTelemetry metrics and their Prometheus scrape endpoint.</summary>
public sealed class MetricsOptions : IValidatedOptions
{
    public const string Section = "Skyport:Metrics";

    /// <summary>Serve metrics for Prometheus. Off by default: the endpoint is anonymous, so expose it only to the monitoring network.</summary>
    public bool PrometheusEnabled { get; set; }

    public string PrometheusPath { get; set; } = "/metrics";

    public IEnumerable<string> Validate(string section)
    {
        if (!PrometheusPath.StartsWith('/') || PrometheusPath.StartsWith("/api/", StringComparison.OrdinalIgnoreCase))
        {
            yield return $"{section}:PrometheusPath must start with '/' and lie outside /api/ (got '{PrometheusPath}').";
        }
    }
}
