namespace Skyport.Server.Operations.RequestLogging;

/// <summary>
/// One structured event per request (<see cref="RequestLogMiddleware"/>: method, path, route, status, duration,
/// user id and request id); the request id
/// is also the <c>X-Request-Id</c> response header and the <c>request_id</c> of error bodies. Query strings,
/// headers and bodies are never logged, so neither is an API key (<c>?key=</c> or <c>x-api-key</c>).
/// </summary>
public static class RequestLogs
{
    public const string RequestIdHeader = "X-Request-Id";

    /// <summary>The category of the per-request events (on at Information by default).</summary>
    public const string Category = "Skyport.Requests";

    /// <summary>ASP.NET Core's own "Request starting GET /path?query" lines: always capped at Warning, since they carry the query.</summary>
    private const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public static WebApplicationBuilder AddRequestLogging(this WebApplicationBuilder builder)
    {
        builder.Logging.AddFilter(Category, LogLevel.Information);
        // Added after configuration is read, so no setting (global or per provider) can turn these lines back on.
        builder.Services.PostConfigure<LoggerFilterOptions>(options =>
        {
            foreach (var provider in options.Rules.Select(r => r.ProviderName).Distinct().ToList())
            {
                options.Rules.Add(new LoggerFilterRule(provider, HostingDiagnostics, LogLevel.Warning, null));
            }
        });
        return builder;
    }

    /// <summary>Request ids on responses, then the request log (outermost, so it sees the final status).</summary>
    public static IApplicationBuilder UseRequestLogging(this IApplicationBuilder app)
    {
        app.Use((context, next) =>
        {
            // Set when the response starts: the exception handler clears headers before it writes an error.
            context.Response.OnStarting(() =>
            {
                context.Response.Headers[RequestIdHeader] = context.TraceIdentifier;
                return Task.CompletedTask;
            });
            return next(context);
        });
        return app.UseMiddleware<RequestLogMiddleware>();
    }
}
