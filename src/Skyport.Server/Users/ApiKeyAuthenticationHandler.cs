using System.Security.Claims;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Users;

/// <summary>Galaxy's API key authentication: <c>x-api-key</c> header or <c>?key=</c> query parameter.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyService apiKeys,
    IOptions<JsonOptions> json)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = Request.Headers["x-api-key"].FirstOrDefault() ?? Request.Query["key"].FirstOrDefault();
        if (string.IsNullOrEmpty(key))
        {
            return AuthenticateResult.NoResult();
        }
        var user = await apiKeys.FindUserAsync(key, Context.RequestAborted);
        if (user is null)
        {
            return AuthenticateResult.Fail("Provided API key is not valid.");
        }
        return AuthenticateResult.Success(new AuthenticationTicket(CurrentUser.CreatePrincipal(user, SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var invalid = Request.Headers.ContainsKey("x-api-key") || Request.Query.ContainsKey("key");
        return WriteAsync(StatusCodes.Status401Unauthorized, new GalaxyError(
            invalid ? "Provided API key is not valid." : "API authentication required for this request",
            401001));
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteAsync(StatusCodes.Status403Forbidden, new GalaxyError("You are not allowed to access this resource.", 403002));

    private Task WriteAsync(int status, GalaxyError error)
    {
        Response.StatusCode = status;
        return Response.WriteAsJsonAsync(error.For(Context), json.Value.SerializerOptions);
    }
}
