using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Skyport.Tests.Operations;

/// <summary>One export as the collector received it.</summary>
public sealed record OtlpExport(string Path, string? ContentType, byte[] Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A protocol double of an OpenTelemetry collector's OTLP/HTTP receiver (no collector can run here): it accepts
/// POSTs at <c>/v1/traces</c> and <c>/v1/metrics</c> and keeps them. Like a collector it refuses anything but
/// <c>application/x-protobuf</c> (415) and answers an accepted export with an empty protobuf response.
/// </summary>
public sealed class OtlpCollectorDouble : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<OtlpExport> _exports = new();

    private OtlpCollectorDouble(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public IReadOnlyCollection<OtlpExport> Exports => _exports;

    public static async Task<OtlpCollectorDouble> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var collector = new OtlpCollectorDouble(app);
        foreach (var path in new[] { "/v1/traces", "/v1/metrics" })
        {
            app.MapPost(path, async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                var contentType = context.Request.ContentType;
                collector._exports.Enqueue(new OtlpExport(path, contentType, body.ToArray(),
                    context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
                if (contentType != "application/x-protobuf")
                {
                    return Results.StatusCode(StatusCodes.Status415UnsupportedMediaType);
                }
                return Results.Bytes([], "application/x-protobuf");
            });
        }
        await app.StartAsync();
        collector.BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        return collector;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
