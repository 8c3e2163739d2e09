using System.Diagnostics;
using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.HttpLogging;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Operations.RequestLogging;

/// <summary>
/// Adds the route template, the caller's (encoded) user id and the request id to each request's log event, and the
/// ids to its trace span when tracing is on (here, because the request's services are still there to encode the id).
/// </summary>
internal sealed class RequestLogEnricher(IdEncoder ids) : IHttpLoggingInterceptor
{
    public ValueTask OnRequestAsync(HttpLoggingInterceptorContext logContext) => ValueTask.CompletedTask;

    public ValueTask OnResponseAsync(HttpLoggingInterceptorContext logContext)
    {
        if (logContext.LoggingFields == HttpLoggingFields.None)
        {
            return ValueTask.CompletedTask;
        }
        var context = logContext.HttpContext;
        logContext.AddParameter("RequestId", context.TraceIdentifier);
        var span = Activity.Current;
        span?.SetTag("skyport.request_id", context.TraceIdentifier);
        if (context.GetEndpoint() is RouteEndpoint endpoint)
        {
            logContext.AddParameter("Route", endpoint.RoutePattern.RawText);
        }
        if (long.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), NumberStyles.None, CultureInfo.InvariantCulture, out var userId))
        {
            var encoded = ids.Encode(userId);
            logContext.AddParameter("UserId", encoded);
            span?.SetTag("enduser.id", encoded);
        }
        return ValueTask.CompletedTask;
    }
}
