using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Skyport.Server.Galaxy;

/// <summary>
/// The one place where failures become Galaxy's error envelope. Known errors keep their
/// status and code; malformed request bodies are 400008; anything unexpected is logged and
/// answered with a generic 500001 that reveals nothing of the cause.
/// </summary>
internal sealed class GalaxyExceptionHandler(ILogger<GalaxyExceptionHandler> logger, IOptions<JsonOptions> json) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        var (status, error) = Map(exception);
        if (status >= 500)
        {
            logger.LogError(exception, "Unhandled error on {Method} {Path}", context.Request.Method, context.Request.Path);
        }
        if (context.Response.HasStarted)
        {
            return true;
        }
        context.Response.StatusCode = status;
        (exception as GalaxyException)?.AddHeaders(context.Response.Headers);
        await context.Response.WriteAsJsonAsync(error.For(context), json.Value.SerializerOptions, cancellationToken);
        return true;
    }

    internal static (int Status, GalaxyError Error) Map(Exception exception) => exception switch
    {
        GalaxyException g => (g.StatusCode, new GalaxyError(g.Message, g.ErrorCode)),
        BadHttpRequestException { InnerException: JsonException j } =>
            (400, new GalaxyError($"Malformed request body: {Describe(j)}", 400008)),
        BadHttpRequestException { StatusCode: 413 } =>
            (413, new GalaxyError("Request body too large.", 413001)),
        BadHttpRequestException b => (400, new GalaxyError(b.Message, 400008)),
        JsonException j => (400, new GalaxyError($"Malformed request body: {Describe(j)}", 400008)),
        _ => (500, new GalaxyError("Internal server error.", 500001)),
    };

    private static string Describe(JsonException j) =>
        j.Path is { Length: > 0 } path ? $"invalid value at {path}" : "not valid JSON";
}
