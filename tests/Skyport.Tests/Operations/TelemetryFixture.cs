using Amazon.S3;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Trace;
using Skyport.Tests.CloudStorage;
using Skyport.Tests.Identity;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Operations;

/// <summary>
/// A transfer-ready server (test cloud, S3 emulator, a signed-in user with an AWS authorization) with everything an
/// operator can turn on: OTLP export to <see cref="Collector"/>, the Prometheus endpoint, and (the tests' own
/// addition) an in-memory exporter on the server's tracer provider, so the spans the server's configuration produces
/// can be read.
/// </summary>
public sealed class TelemetryFixture : IAsyncLifetime
{
    public const string CollectorHeader = "x-collector-key";
    public const string CollectorHeaderValue = "collector-key-from-otel-env";

    private TestCloud? _cloud;
    private OtlpCollectorDouble? _collector;
    private SkyportServer? _server;
    private SkyportLogin? _login;
    private IAmazonS3? _s3;

    public TestCloud Cloud => _cloud!;
    public OtlpCollectorDouble Collector => _collector!;
    public SkyportServer Server => _server!;
    public HttpClient User => _login!.Http;
    public SkyportLogin Login => _login!;
    public IAmazonS3 S3 => _s3!;
    public CapturedSpans Spans { get; } = new();
    public StructuredLogCapture Logs { get; } = new();
    public string AuthzId { get; private set; } = "";
    public string Subject { get; } = $"traced-user-{Guid.NewGuid():N}";
    public string RoleArn { get; } = "arn:aws:iam::123456789012:role/skyport-traced";
    /// <summary>Another role the same login may assume: a second authorization has its own, never cached, credentials.</summary>
    public string SecondRoleArn { get; } = "arn:aws:iam::123456789012:role/skyport-traced-too";

    public async Task InitializeAsync()
    {
        _cloud = await TestCloud.StartAsync();
        _collector = await OtlpCollectorDouble.StartAsync();
        var settings = StorageUser.Settings(_cloud);
        settings["Skyport:Telemetry:OtlpEnabled"] = "true";
        settings["Skyport:Telemetry:OtlpEndpoint"] = _collector.BaseAddress.ToString();
        settings["Skyport:Metrics:PrometheusEnabled"] = "true";
        settings["Logging:LogLevel:Skyport"] = "Debug";
        // The standard OpenTelemetry variable, read from configuration like any other: how a collector's key is given.
        settings["OTEL_EXPORTER_OTLP_HEADERS"] = $"{CollectorHeader}={CollectorHeaderValue}";
        _server = await SkyportServer.StartAsync(settings,
            configure: builder =>
            {
                Logs.AddTo(builder);
                builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(Spans));
            });
        await _cloud.RegisterAwsRoleAsync(new AwsRole(RoleArn, _cloud.Issuer, TestCloud.ClientId, Subject, 43200));
        await _cloud.RegisterAwsRoleAsync(new AwsRole(SecondRoleArn, _cloud.Issuer, TestCloud.ClientId, Subject, 43200));
        (_login, AuthzId) = await StorageUser.SignInWithAuthzAsync(_server, _cloud, Subject, "aws",
            new { role_arn = RoleArn, endpoint = _cloud.S3.ToString(), region = "us-east-1" });
        _s3 = await DirectS3.ClientAsync(_cloud, Subject, RoleArn);
    }

    public async Task DisposeAsync()
    {
        _s3?.Dispose();
        _login?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        if (_collector is not null)
        {
            await _collector.DisposeAsync();
        }
        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }
}
