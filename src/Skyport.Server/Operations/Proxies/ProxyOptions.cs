using System.Net;
using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.Proxies;

/// <summary>
/// <c>Skyport:ForwardedHeaders</c>: the reverse proxies whose <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c>
/// are believed. Empty (the default): none, so the connection's peer is the client, whatever a header claims.
/// </summary>
public sealed class ProxyOptions : IValidatedOptions
{
    public const string Section = "Skyport:ForwardedHeaders";

    /// <summary>Addresses of trusted proxies (<c>10.0.0.5</c>, <c>::1</c>).</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR notation (<c>10.0.0.0/8</c>).</summary>
    public List<string> KnownNetworks { get; set; } = [];

    public bool Any => KnownProxies.Count > 0 || KnownNetworks.Count > 0;

    public IEnumerable<string> Validate(string section)
    {
        foreach (var proxy in KnownProxies.Where(p => !IPAddress.TryParse(p, out _)))
        {
            yield return $"{section}:KnownProxies holds '{proxy}', which is not an IP address.";
        }
        foreach (var network in KnownNetworks.Where(n => !IPNetwork.TryParse(n, out _)))
        {
            yield return $"{section}:KnownNetworks holds '{network}', which is not a network in CIDR notation (such as 10.0.0.0/8).";
        }
    }
}
