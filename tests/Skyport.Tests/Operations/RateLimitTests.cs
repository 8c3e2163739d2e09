using System.Net;
using System.Text.Json;
using Skyport.Tests.Infrastructure;

namespace Skyport.Tests.Operations;

public sealed class RateLimitTests
{
    private static Dictionary<string, string?> Limits(int userBurst, int anonymousBurst) => new()
    {
        ["Skyport:RateLimits:UserBurst"] = userBurst.ToString(),
        ["Skyport:RateLimits:UserPerMinute"] = "1",
        ["Skyport:RateLimits:AnonymousBurst"] = anonymousBurst.ToString(),
        ["Skyport:RateLimits:AnonymousPerMinute"] = "1",
    };

    [Fact]
    public async Task A_User_PastTheBurst_Gets429WithRetryAfterAndTheEnvelope_WhileOthersAreServed()
    {
        await using var server = await SkyportServer.StartAsync(Limits(userBurst: 3, anonymousBurst: 50));
        using var admin = server.Admin();

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/histories")).StatusCode);
        }
        using var limited = await admin.GetAsync("/api/histories");

        await GalaxyAssert.ErrorAsync(limited, HttpStatusCode.TooManyRequests, 429001);
        var retryAfter = int.Parse(limited.Headers.GetValues("Retry-After").Single());
        Assert.InRange(retryAfter, 1, 60);
        Assert.False(string.IsNullOrEmpty(JsonDocument.Parse(await limited.Content.ReadAsStringAsync()).RootElement.GetProperty("request_id").GetString()));
        // The same user through ?key= shares the bucket; anonymous callers and probes have their own.
        Assert.Equal(HttpStatusCode.TooManyRequests, (await server.Anonymous().GetAsync($"/api/histories?key={server.AdminKey}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Anonymous().GetAsync("/api/version")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await server.Anonymous().GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Anonymous_Callers_AreLimitedPerAddress_ButProbesAreNot()
    {
        await using var server = await SkyportServer.StartAsync(Limits(userBurst: 50, anonymousBurst: 2));
        using var anonymous = server.Anonymous();

        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/version")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/configuration")).StatusCode);
        await GalaxyAssert.ErrorAsync(await anonymous.GetAsync("/api/version"), HttpStatusCode.TooManyRequests, 429001);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await server.Admin().GetAsync("/api/users/current")).StatusCode);
    }

    [Fact]
    public async Task Disabled_LimitsNothing()
    {
        var settings = Limits(userBurst: 1, anonymousBurst: 1);
        settings["Skyport:RateLimits:Enabled"] = "false";
        await using var server = await SkyportServer.StartAsync(settings);
        using var anonymous = server.Anonymous();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/api/version")).StatusCode);
        }
    }
}
