using System.Net;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Operations;

/// <summary>
/// Anonymous rate limits are per client address. Behind a trusted proxy that address comes from X-Forwarded-For;
/// from anyone else the header is ignored (the tests' loopback connection plays the proxy, or the forger).
/// </summary>
public sealed class ReverseProxyTests
{
    private static Dictionary<string, string?> Settings(params (string Key, string Value)[] proxies)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Skyport:RateLimits:AnonymousBurst"] = "1",
            ["Skyport:RateLimits:AnonymousPerMinute"] = "1",
        };
        foreach (var (key, value) in proxies)
        {
            settings[key] = value;
        }
        return settings;
    }

    private static async Task<HttpResponseMessage> VersionAsync(HttpClient client, string? forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/version");
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        return await client.SendAsync(request);
    }

    [Theory]
    [InlineData("Skyport:ForwardedHeaders:KnownProxies:0", "127.0.0.1")]
    [InlineData("Skyport:ForwardedHeaders:KnownNetworks:0", "127.0.0.0/8")]
    public async Task BehindAKnownProxy_EachForwardedClient_HasItsOwnLimit(string key, string value)
    {
        await using var server = await SkyportServer.StartAsync(Settings((key, value)));
        using var proxy = server.Anonymous();

        Assert.Equal(HttpStatusCode.OK, (await VersionAsync(proxy, "203.0.113.7")).StatusCode);
        await GalaxyAssert.ErrorAsync(await VersionAsync(proxy, "203.0.113.7"), HttpStatusCode.TooManyRequests, 429001);
        // Another client behind the same proxy is not held back by the first one's bucket.
        Assert.Equal(HttpStatusCode.OK, (await VersionAsync(proxy, "203.0.113.8")).StatusCode);
        // A chain: the client wrote its own (forged) entry, the trusted proxy appended the real address; the last one counts.
        Assert.Equal(HttpStatusCode.OK, (await VersionAsync(proxy, "198.51.100.1, 203.0.113.9")).StatusCode);
        await GalaxyAssert.ErrorAsync(await VersionAsync(proxy, "198.51.100.2, 203.0.113.9"), HttpStatusCode.TooManyRequests, 429001);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("Skyport:ForwardedHeaders:KnownProxies:0", "10.1.2.3")]
    public async Task FromAnUnknownPeer_AForgedForwardedFor_IsIgnored(string? key, string? value)
    {
        await using var server = await SkyportServer.StartAsync(key is null ? Settings() : Settings((key, value!)));
        using var forger = server.Anonymous();

        Assert.Equal(HttpStatusCode.OK, (await VersionAsync(forger, "203.0.113.7")).StatusCode);
        // A new address in the header buys no new bucket: the limit is the peer's.
        await GalaxyAssert.ErrorAsync(await VersionAsync(forger, "203.0.113.8"), HttpStatusCode.TooManyRequests, 429001);
        await GalaxyAssert.ErrorAsync(await VersionAsync(forger, null), HttpStatusCode.TooManyRequests, 429001);
    }

    [Fact]
    public async Task AProxyThatIsNotAnAddress_StopsTheStart_NamingTheSetting()
    {
        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(async () => await SkyportServer.StartAsync(Settings(("Skyport:ForwardedHeaders:KnownNetworks:0", "10.0.0.0/abc"))));

        Assert.Contains("Skyport:ForwardedHeaders:KnownNetworks", error.Message);
    }
}
