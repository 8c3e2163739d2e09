using Skyport.Server.Galaxy;
using Skyport.Server.Identity;

namespace Skyport.Server.Web;

/// <summary>
/// Refuses state-changing requests that a browser sends on another site's behalf with the session cookie
/// (cross-site request forgery). Browsers say where a request comes from (<c>Sec-Fetch-Site</c>, and
/// <c>Origin</c> on every unsafe request); only requests from Skyport's own pages, or typed by the user, pass.
/// Requests carrying an API key are not affected (a key is never sent implicitly), nor are clients that are no
/// browser (they send neither header, and nothing can make them send a cookie on someone else's behalf).
/// The pages' own forms also carry an antiforgery token, checked by Razor Pages.
/// </summary>
internal sealed class CrossSiteRequestGuard(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!IsUnsafe(request) || UsesApiKey(request) || !request.Cookies.ContainsKey(SessionCookie) || IsFromThisSite(request))
        {
            return next(context);
        }
        return IdentityExtensions.WriteJsonAsync(context, StatusCodes.Status403Forbidden, new GalaxyError(
            "Cross-site request refused: requests that use the session cookie must come from Skyport's own pages. API clients should send an API key (x-api-key).",
            403002));
    }

    private const string SessionCookie = "skyport_session";

    /// <summary>Galaxy's identity unlink is a GET that changes state; it is guarded like a POST.</summary>
    private static bool IsUnsafe(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        || (request.Path.StartsWithSegments("/authnz") && request.Path.Value!.Contains("/disconnect/", StringComparison.Ordinal));

    private static bool UsesApiKey(HttpRequest request) => request.Headers.ContainsKey("x-api-key") || request.Query.ContainsKey("key");

    /// <summary>
    /// Fetch Metadata when the browser sends it (all current browsers); otherwise the Origin's host must be this
    /// server's. The scheme is not compared: behind a TLS-terminating proxy the page is https while Kestrel sees http.
    /// </summary>
    private static bool IsFromThisSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0)
        {
            return site is "same-origin" or "none";
        }
        var origin = request.Headers.Origin.ToString();
        return origin.Length == 0
            || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }
}
