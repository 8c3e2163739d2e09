using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.Proxies;

/// <summary>
/// Behind a reverse proxy every connection comes from the proxy. ASP.NET Core's forwarded-headers middleware takes
/// the client's address (and scheme) from <c>X-Forwarded-For</c>/<c>X-Forwarded-Proto</c>, but only when the peer is
/// one of <see cref="ProxyOptions"/>'s proxies: ASP.NET Core's default trust of loopback is cleared, so a header
/// from anyone else (a client forging its address to dodge the per-address rate limit) changes nothing.
/// Proxies in a chain are all walked back, as long as each is trusted.
/// </summary>
public static class ReverseProxies
{
    public static WebApplicationBuilder AddReverseProxies(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ProxyOptions>(ProxyOptions.Section);
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<IOptions<ProxyOptions>>((forwarded, settings) =>
        {
            forwarded.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            forwarded.ForwardLimit = null;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in settings.Value.KnownProxies)
            {
                forwarded.KnownProxies.Add(IPAddress.Parse(proxy));
            }
            foreach (var network in settings.Value.KnownNetworks)
            {
                forwarded.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return builder;
    }

    /// <summary>First in the pipeline, so request logs, rate limits and traces all see the client's address.</summary>
    public static IApplicationBuilder UseReverseProxies(this IApplicationBuilder app)
    {
        // Read per request (options are cached): with no proxy configured the headers are never looked at.
        var proxies = app.ApplicationServices.GetRequiredService<IOptions<ProxyOptions>>();
        return app.UseWhen(_ => proxies.Value.Any, branch => branch.UseForwardedHeaders());
    }
}
