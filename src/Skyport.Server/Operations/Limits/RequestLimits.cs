using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;

namespace Skyport.Server.Operations.Limits;

/// <summary>
/// Body size limits: Kestrel's limit for every request, and a tighter one for JSON bodies. An endpoint with its own
/// size metadata (the TUS PATCH) keeps it. Too large a body fails while it is read: 413 with Galaxy's 413001.
/// Lists inside bodies (objects, dataset ids, fetch elements) have their own bounds in each feature (400008).
/// </summary>
public static class RequestLimits
{
    public static WebApplicationBuilder AddRequestLimits(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<RequestLimitOptions>(RequestLimitOptions.Section);
        // Kestrel's options are read while the application is built, before validation at start reports bad values
        // (all of them at once), so this reads the setting unvalidated and never fails.
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IConfiguration>((kestrel, configuration) =>
            kestrel.Limits.MaxRequestBodySize = Math.Max(1, (configuration.GetSection(RequestLimitOptions.Section).Get<RequestLimitOptions>() ?? new()).MaxBodyBytes));
        return builder;
    }

    /// <summary>After routing, so the endpoint (and its metadata) is known.</summary>
    public static IApplicationBuilder UseJsonBodyLimit(this IApplicationBuilder app)
    {
        return app.Use((context, next) =>
        {
            // Read per request (options are cached): a bad value is then reported with all others by validation at start.
            var limit = context.RequestServices.GetRequiredService<IOptions<RequestLimitOptions>>().Value.MaxJsonBodyBytes;
            if (context.Request.HasJsonContentType()
                && context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is null
                && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size
                && (size.MaxRequestBodySize is null || size.MaxRequestBodySize > limit))
            {
                size.MaxRequestBodySize = limit;
            }
            return next(context);
        });
    }
}
