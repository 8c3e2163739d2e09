using System.Globalization;
using System.Text;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Uploads;

/// <summary>
/// TUS 1.0 resumable uploads at Galaxy's <c>/api/upload/resumable_upload/</c> (core protocol plus
/// the creation and termination extensions). The session id, the last segment of the Location,
/// is what <c>/api/tools/fetch</c> takes as <c>session_id</c>.
/// </summary>
public static class TusEndpoints
{
    private const string TusVersion = "1.0.0";

    public static IEndpointRouteBuilder MapTusUploads(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/api/upload/resumable_upload").RequireAuthorization().WithTags("Uploads")
            .AddEndpointFilter(async (context, next) =>
            {
                context.HttpContext.Response.Headers["Tus-Resumable"] = TusVersion;
                return await next(context);
            });
        g.MapMethods("/", ["OPTIONS"], (HttpResponse response) =>
        {
            response.Headers["Tus-Version"] = TusVersion;
            response.Headers["Tus-Extension"] = "creation,termination";
            return Results.NoContent();
        }).AllowAnonymous();
        g.MapPost("/", CreateAsync);
        g.MapMethods("/{sessionId}", ["HEAD"], HeadAsync);
        // A PATCH is bounded by the session's declared length (itself capped by MaxUploadBytes), not by
        // Kestrel's 30 MB default: TUS clients choose their chunk size, tus-js-client's default is the whole file.
        g.MapPatch("/{sessionId}", PatchAsync).WithMetadata(new Microsoft.AspNetCore.Mvc.DisableRequestSizeLimitAttribute());
        g.MapDelete("/{sessionId}", async (string sessionId, UploadSessions sessions, CancellationToken ct) =>
        {
            await sessions.DeleteAsync(sessionId, ct);
            return Results.NoContent();
        });
        return app;
    }

    private static async Task<IResult> CreateAsync(HttpRequest request, UploadSessions sessions, CancellationToken cancellationToken)
    {
        var lengthHeader = request.Headers["Upload-Length"].FirstOrDefault()
            ?? throw new RequestParameterMissingException("The Upload-Length header is required.");
        if (!long.TryParse(lengthHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
        {
            throw new RequestParameterInvalidException($"Upload-Length must be a non-negative integer (got '{lengthHeader}').");
        }
        var metadata = ParseMetadata(request.Headers["Upload-Metadata"].FirstOrDefault());
        var filename = metadata.GetValueOrDefault("filename") ?? metadata.GetValueOrDefault("name");
        var session = await sessions.CreateAsync(length, filename, cancellationToken);
        request.HttpContext.Response.Headers["Upload-Offset"] = "0";
        return Results.Created($"{request.PathBase}/api/upload/resumable_upload/{session.Id}", null);
    }

    private static async Task<IResult> HeadAsync(string sessionId, HttpResponse response, UploadSessions sessions, CancellationToken cancellationToken)
    {
        var session = await sessions.FindOwnedAsync(sessionId, cancellationToken);
        response.Headers["Upload-Offset"] = sessions.OffsetOf(sessionId).ToString(CultureInfo.InvariantCulture);
        response.Headers["Upload-Length"] = session.Length.ToString(CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-store";
        return Results.Ok();
    }

    private static async Task<IResult> PatchAsync(string sessionId, HttpRequest request, UploadSessions sessions, CancellationToken cancellationToken)
    {
        if (!string.Equals(request.ContentType, "application/offset+octet-stream", StringComparison.OrdinalIgnoreCase))
        {
            return Results.Json(new GalaxyError("Content-Type must be application/offset+octet-stream.", 400008).For(request.HttpContext),
                GalaxyJson.Options, statusCode: StatusCodes.Status415UnsupportedMediaType);
        }
        var offsetHeader = request.Headers["Upload-Offset"].FirstOrDefault()
            ?? throw new RequestParameterMissingException("The Upload-Offset header is required.");
        if (!long.TryParse(offsetHeader, NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            throw new RequestParameterInvalidException($"Upload-Offset must be a non-negative integer (got '{offsetHeader}').");
        }
        var newOffset = await sessions.AppendAsync(sessionId, offset, request.Body, cancellationToken);
        request.HttpContext.Response.Headers["Upload-Offset"] = newOffset.ToString(CultureInfo.InvariantCulture);
        return Results.NoContent();
    }

    /// <summary>TUS metadata: comma-separated "key base64value" pairs.</summary>
    internal static Dictionary<string, string> ParseMetadata(string? header)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrWhiteSpace(header))
        {
            return result;
        }
        foreach (var pair in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split(' ', 2, StringSplitOptions.TrimEntries);
            try
            {
                result[parts[0]] = parts.Length == 2 ? Encoding.UTF8.GetString(Convert.FromBase64String(parts[1])) : "";
            }
            catch (FormatException)
            {
                throw new RequestParameterInvalidException($"Upload-Metadata value for '{parts[0]}' is not base64.");
            }
        }
        return result;
    }
}
