using Microsoft.AspNetCore.Authentication;

namespace Skyport.Server.Identity;

public sealed record LoginRedirect(string RedirectUri);

/// <summary>
/// Starts an OIDC login. Browsers (which accept HTML) get the handler's redirect; API clients get Galaxy's
/// <c>{"redirect_uri"}</c> built from that same redirect, because the handler only adds the protected
/// <c>state</c> after its events have run. The correlation and nonce cookies are set either way.
/// </summary>
internal sealed class LoginChallenge(string scheme, AuthenticationProperties properties) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        await httpContext.ChallengeAsync(scheme, properties);
        var response = httpContext.Response;
        if (WantsRedirect(httpContext.Request) || response.StatusCode != StatusCodes.Status302Found || response.Headers.Location.Count == 0)
        {
            return;
        }
        var location = response.Headers.Location.ToString();
        response.Headers.Remove("Location");
        await IdentityExtensions.WriteJsonAsync(httpContext, StatusCodes.Status200OK, new LoginRedirect(location));
    }

    private static bool WantsRedirect(HttpRequest request) =>
        request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);
}
