using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Skyport.Server.Galaxy;

/// <summary>Bodiless error statuses from the framework (unknown route, wrong method) get Galaxy's envelope too.</summary>
internal static class GalaxyStatusCodePages
{
    public static Task WriteAsync(StatusCodeContext context)
    {
        var response = context.HttpContext.Response;
        if (response.HasStarted || response.ContentLength > 0 || response.ContentType is not null)
        {
            return Task.CompletedTask;
        }
        var error = response.StatusCode switch
        {
            404 => new GalaxyError("The requested resource was not found.", 404001),
            405 => new GalaxyError("Method not allowed for this resource.", 400008),
            415 => new GalaxyError("Unsupported content type.", 400008),
            401 => new GalaxyError("API authentication required for this request", 401001),
            403 => new GalaxyError("You are not allowed to access this resource.", 403002),
            413 => new GalaxyError("Request body too large.", 413001),
            >= 500 => new GalaxyError("Internal server error.", 500001),
            _ => new GalaxyError($"Request failed with status {response.StatusCode}.", 0),
        };
        var json = context.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return response.WriteAsJsonAsync(error.For(context.HttpContext), json);
    }
}
