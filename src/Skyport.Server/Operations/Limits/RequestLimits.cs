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
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<RequestLimitOptions>>((kestrel, limits) =>
            kestrel.Limits.MaxRequestBodySize = limits.Value.MaxBodyBytes);
        return builder;
    }

    /// <summary>After routing, so the endpoint (and its metadata) is known.</summary>
    public static IApplicationBuilder UseJsonBodyLimit(this IApplicationBuilder app)
    {
        var limit = app.ApplicationServices.GetRequiredService<IOptions<RequestLimitOptions>>().Value.MaxJsonBodyBytes;
        return app.Use((context, next) =>
        {
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
