using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Options;
using Skyport.Server.Configuration;
using Skyport.Server.Galaxy;
using Skyport.Server.Users;

namespace Skyport.Server.Identity;

public static class IdentityExtensions
{
    /// <summary>The default scheme: an API key when the request carries one, otherwise the session cookie.</summary>
    public const string PolicyScheme = "Skyport";
    public const string CookieScheme = "SkyportSession";
    private const string OidcSchemePrefix = "oidc-";

    public static string SchemeFor(string provider) => OidcSchemePrefix + provider.ToLowerInvariant();

    public static WebApplicationBuilder AddIdentity(this WebApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<OidcOptions>(OidcOptions.Section, rejectUnknownKeys: false);
        builder.Services.AddScoped<IdentityLinker>();
        builder.Services.AddScoped<IdentityTokens>();
        builder.Services.AddScoped<AuthnzService>();
        builder.Services.AddSingleton<TokenProtector>();

        // Keys that encrypt stored tokens and secrets live with the data (AddSkyportData says where), so restarts can still read them.
        builder.Services.AddDataProtection().SetApplicationName("Skyport");

        var authentication = builder.Services.AddAuthentication(PolicyScheme)
            .AddPolicyScheme(PolicyScheme, "API key or session", options => options.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey("x-api-key") || context.Request.Query.ContainsKey("key")
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : CookieScheme)
            .AddCookie(CookieScheme, options =>
            {
                options.Cookie.Name = "skyport_session";
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Lax;
                options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                options.ExpireTimeSpan = TimeSpan.FromDays(7);
                options.SlidingExpiration = true;
                // API callers get Galaxy's envelope, not a redirect to a login page.
                options.Events.OnRedirectToLogin = context => WriteErrorAsync(context.HttpContext, 401, new GalaxyError("API authentication required for this request", 401001));
                options.Events.OnRedirectToAccessDenied = context => WriteErrorAsync(context.HttpContext, 403, new GalaxyError("You are not allowed to access this resource.", 403002));
                options.Events.OnValidatePrincipal = RejectDisabledUserAsync;
            });

        // Providers are schemes, registered once at start from configuration.
        var oidc = builder.Configuration.GetSection(OidcOptions.Section).Get<OidcOptions>() ?? new OidcOptions();
        var errors = oidc.Validate(OidcOptions.Section).ToList();
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(OidcOptions.Section, typeof(OidcOptions), errors);
        }
        foreach (var (name, provider) in oidc.Effective())
        {
            authentication.AddOpenIdConnect(SchemeFor(name), provider.DisplayName, options => Configure(options, name, provider));
        }
        return builder;
    }

    private static void Configure(OpenIdConnectOptions options, string name, OidcProviderOptions provider)
    {
        options.Authority = provider.Authority;
        options.ClientId = provider.ClientId;
        options.ClientSecret = provider.ClientSecret;
        options.RequireHttpsMetadata = provider.RequireHttpsMetadata;
        options.ResponseType = "code";
        options.ResponseMode = "query";
        options.UsePkce = true;
        options.CallbackPath = $"/authnz/{name}/callback";
        options.SignInScheme = CookieScheme;
        options.SaveTokens = true;
        options.MapInboundClaims = false;
        options.GetClaimsFromUserInfoEndpoint = false;
        options.Scope.Clear();
        foreach (var scope in provider.Scopes ?? [])
        {
            options.Scope.Add(scope);
        }
        options.CorrelationCookie.SameSite = SameSiteMode.Lax;
        options.CorrelationCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.NonceCookie.SameSite = SameSiteMode.Lax;
        options.NonceCookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.Events = new OpenIdConnectEvents
        {
            OnRedirectToIdentityProvider = context =>
            {
                foreach (var (key, value) in provider.AuthorizeParameters)
                {
                    context.ProtocolMessage.SetParameter(key, value);
                }
                return Task.CompletedTask;
            },
            OnTicketReceived = async context =>
            {
                var tokens = new TokenSet(
                    context.Properties?.GetTokenValue("id_token") ?? throw new AuthenticationFailedException($"The {name} login returned no id token."),
                    context.Properties.GetTokenValue("access_token"),
                    context.Properties.GetTokenValue("refresh_token"));
                // Tokens go to the database, encrypted; never into the cookie.
                context.Properties.StoreTokens([]);
                long? linkTo = context.Properties.Items.TryGetValue(AuthnzService.LinkUserItem, out var link) && long.TryParse(link, out var id) ? id : null;
                try
                {
                    var linker = context.HttpContext.RequestServices.GetRequiredService<IdentityLinker>();
                    var user = await linker.SignInAsync(name, context.Principal!, tokens, linkTo, context.HttpContext.RequestAborted);
                    context.Principal = CurrentUser.CreatePrincipal(user, CookieScheme);
                }
                catch (GalaxyException e)
                {
                    context.HandleResponse();
                    await WriteErrorAsync(context.HttpContext, e.StatusCode, new GalaxyError(e.Message, e.ErrorCode));
                }
            },
            OnRemoteFailure = context =>
            {
                context.HandleResponse();
                var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Skyport.Identity");
                logger.LogWarning("Login with {Provider} failed: {Reason}", name, context.Failure?.Message);
                return WriteErrorAsync(context.HttpContext, 401, new GalaxyError($"Login with {name} failed: {context.Failure?.Message}", 401001));
            },
        };
    }

    // Every request with a session cookie runs it: compiled, since building the query cost more than running it.
    private static readonly Data.CompiledQuery<Func<Data.SkyportDbContext, long, CancellationToken, Task<bool>>> EnabledUser = new(() =>
        EF.CompileAsyncQuery((Data.SkyportDbContext db, long id, CancellationToken _) => db.Users.Any(u => u.Id == id && !u.Disabled)));

    /// <summary>A session ends at the next request once its user is disabled (<c>./skyport users disable</c>); API keys are refused by their lookup.</summary>
    private static async Task RejectDisabledUserAsync(CookieValidatePrincipalContext context)
    {
        var id = context.Principal?.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value;
        var db = context.HttpContext.RequestServices.GetRequiredService<Data.SkyportDbContext>();
        if (!long.TryParse(id, out var userId) || !await EnabledUser.For(db)(db, userId, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
        }
    }

    private static Task WriteErrorAsync(HttpContext context, int status, GalaxyError error) => WriteJsonAsync(context, status, error.For(context));

    internal static async Task WriteJsonAsync<T>(HttpContext context, int status, T body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, GalaxyJson.Options, context.RequestAborted);
    }
}

