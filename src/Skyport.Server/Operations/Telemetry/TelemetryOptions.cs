using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.Telemetry;

/// <summary><c>Skyport:Telemetry</c>: exporting traces and metrics to an OpenTelemetry collector (OTLP).</summary>
public sealed class TelemetryOptions : IValidatedOptions
{
    public const string Section = "Skyport:Telemetry";
    public const string HttpProtobuf = "http/protobuf";
    public const string Grpc = "grpc";

    /// <summary>Send traces and metrics to <see cref="OtlpEndpoint"/>. Off by default.</summary>
    public bool OtlpEnabled { get; set; }

    /// <summary>The collector's base URL: with <c>http/protobuf</c> traces go to <c>/v1/traces</c> and metrics to <c>/v1/metrics</c> below it.</summary>
    public string OtlpEndpoint { get; set; } = "http://localhost:4318";

    public string OtlpProtocol { get; set; } = HttpProtobuf;

    /// <summary>The <c>service.name</c> of every span and metric.</summary>
    public string ServiceName { get; set; } = "skyport";

    /// <summary>The share of traces kept (a trace started by a caller that sampled it is kept either way).</summary>
    public double TraceSampleRatio { get; set; } = 1.0;

    public IEnumerable<string> Validate(string section)
    {
        if (!Uri.TryCreate(OtlpEndpoint, UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
        {
            yield return $"{section}:OtlpEndpoint must be an absolute http or https URL (got '{OtlpEndpoint}').";
        }
        if (OtlpProtocol is not (HttpProtobuf or Grpc))
        {
            yield return $"{section}:OtlpProtocol must be '{HttpProtobuf}' or '{Grpc}' (got '{OtlpProtocol}').";
        }
        if (string.IsNullOrWhiteSpace(ServiceName))
        {
            yield return $"{section}:ServiceName must not be empty.";
        }
        if (TraceSampleRatio is < 0 or > 1 || double.IsNaN(TraceSampleRatio))
        {
            yield return $"{section}:TraceSampleRatio must be between 0 and 1 (got {TraceSampleRatio}).";
        }
    }
}
