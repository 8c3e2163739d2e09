using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Operations.RateLimiting;

/// <summary>
/// Fair use with ASP.NET Core's rate limiter: one global limiter partitioned by user (after authentication)
/// or by client address. A refused request gets 429, <c>Retry-After</c> and Galaxy's envelope (429001).
/// Limits are per process; health probes and the metrics scrape are exempt.
/// </summary>
public static class RateLimits
{
    public static WebApplicationBuilder AddRateLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<RateLimitOptions>(RateLimitOptions.Section);
        builder.Services.AddRateLimiter(_ => { });
        builder.Services.AddOptions<RateLimiterOptions>().Configure<IOptions<RateLimitOptions>>((options, settings) =>
        {
            var limits = settings.Value;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context => limits.Enabled
                ? Partition(context, limits)
                : RateLimitPartition.GetNoLimiter("off"));
            options.OnRejected = WriteRejectionAsync;
        });
        return builder;
    }

    private static RateLimitPartition<string> Partition(HttpContext context, RateLimitOptions limits)
    {
        var user = context.User.FindFirstValue(ClaimTypes.NameIdentifier);
        return user is not null
            ? RateLimitPartition.GetTokenBucketLimiter("user:" + user, _ => Bucket(limits.UserBurst, limits.UserPerMinute))
            : RateLimitPartition.GetTokenBucketLimiter("ip:" + (context.Connection.RemoteIpAddress ?? IPAddress.None),
                _ => Bucket(limits.AnonymousBurst, limits.AnonymousPerMinute));
    }

    /// <summary>The minute's rate spread evenly (every second, or one token at a time); never queues: a refused request is answered at once.</summary>
    private static TokenBucketRateLimiterOptions Bucket(int burst, int perMinute) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perMinute % 60 == 0 ? perMinute / 60 : 1,
        ReplenishmentPeriod = perMinute % 60 == 0 ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(60.0 / perMinute),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private static async ValueTask WriteRejectionAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 1;
        context.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var error = new GalaxyError($"Too many requests; retry after {seconds} s.", 429001).For(context);
        await context.Response.WriteAsJsonAsync(error, GalaxyJson.Options, cancellationToken);
    }
}
