using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Operations;

public sealed class TelemetryConfigurationTests
{
    [Fact]
    public async Task Tracing_IsOffByDefault_NoTracerProviderIsBuilt()
    {
        await using var server = await SkyportServer.StartAsync();

        Assert.Null(server.Services.GetService<TracerProvider>());
    }

    [Theory]
    [InlineData("Skyport:Telemetry:OtlpProtocol", "thrift", "Skyport:Telemetry:OtlpProtocol")]
    [InlineData("Skyport:Telemetry:OtlpEndpoint", "collector:4318", "Skyport:Telemetry:OtlpEndpoint")]
    [InlineData("Skyport:Telemetry:TraceSampleRatio", "1.5", "Skyport:Telemetry:TraceSampleRatio")]
    public async Task ABadTelemetrySetting_StopsTheStart_NamingIt(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?> { ["Skyport:Telemetry:OtlpEnabled"] = "true", [key] = value };

        var error = await Assert.ThrowsAsync<OptionsValidationException>(async () => await SkyportServer.StartAsync(settings));

        Assert.Contains(named, error.Message);
    }

    [Fact]
    public async Task WithOtlpOn_ThePrometheusSettingStillDecidesTheScrapeEndpoint()
    {
        await using var collector = await OtlpCollectorDouble.StartAsync();
        await using var server = await SkyportServer.StartAsync(new Dictionary<string, string?>
        {
            ["Skyport:Telemetry:OtlpEnabled"] = "true",
            ["Skyport:Telemetry:OtlpEndpoint"] = collector.BaseAddress.ToString(),
        });

        Assert.NotNull(server.Services.GetService<TracerProvider>());
        await GalaxyAssert.ErrorAsync(await server.Anonymous().GetAsync("/metrics"), System.Net.HttpStatusCode.NotFound, 404001);
    }
}
