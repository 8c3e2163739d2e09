using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Skyport.Tests.Infrastructure;

/// <summary>
/// A small real HTTP server on loopback playing the remote side of URL uploads. The test's handler
/// answers every request and is told how many times that path has been asked for (1 on the first
/// request), so a test can script "503 twice, then 200".
/// </summary>
public sealed class OriginServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, int> _hits;

    private OriginServer(WebApplication app, ConcurrentDictionary<string, int> hits, Uri baseAddress)
    {
        _app = app;
        _hits = hits;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public static async Task<OriginServer> StartAsync(Func<HttpContext, int, Task> handler)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var hits = new ConcurrentDictionary<string, int>();
        app.Run(context => handler(context, hits.AddOrUpdate(context.Request.Path.Value ?? "/", 1, (_, n) => n + 1)));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new OriginServer(app, hits, new Uri(address));
    }

    public string Url(string path) => new Uri(BaseAddress, path).ToString();

    public int Hits(string path) => _hits.GetValueOrDefault(path);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
