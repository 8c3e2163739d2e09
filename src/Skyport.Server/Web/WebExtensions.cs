using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Skyport.Server.Identity;

namespace Skyport.Server.Web;

/// <summary>
/// The web UI: server-rendered Razor Pages under <c>Web/Pages</c>, served at <c>/</c>, with static assets
/// embedded in the assembly (served at <c>/static</c>). Pages call the same services as the API.
/// </summary>
public static class WebExtensions
{
    public static WebApplicationBuilder AddWeb(this WebApplicationBuilder builder)
    {
        builder.Services.AddRazorPages(options =>
            {
                options.RootDirectory = "/Web/Pages";
                options.Conventions.AuthorizeFolder("/");
                options.Conventions.AllowAnonymousToPage("/SignIn");
                options.Conventions.AllowAnonymousToPage("/Error");
                options.Conventions.ConfigureFilter(new PageErrorFilter());
            })
            .AddApplicationPart(typeof(WebExtensions).Assembly);
        builder.Services.AddSingleton<WebAssets>();
        builder.Services.AddScoped<TrustGuide>();
        builder.Services.Configure<AntiforgeryOptions>(options =>
        {
            options.Cookie.Name = "skyport_csrf";
            options.Cookie.SameSite = SameSiteMode.Strict;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            options.FormFieldName = "__csrf";
        });
        builder.Services.Configure<CookieTempDataProviderOptions>(options =>
        {
            options.Cookie.Name = "skyport_flash";
            options.Cookie.SameSite = SameSiteMode.Lax;
            options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        });
        // The session cookie answers API callers with Galaxy's 401 envelope; people at a page are sent to sign in instead.
        builder.Services.PostConfigure<CookieAuthenticationOptions>(IdentityExtensions.CookieScheme, options =>
        {
            var apiRedirect = options.Events.OnRedirectToLogin;
            options.Events.OnRedirectToLogin = context =>
            {
                if (!IsPageRequest(context.Request))
                {
                    return apiRedirect(context);
                }
                var next = context.Request.PathBase + context.Request.Path + context.Request.QueryString;
                context.Response.Redirect($"/signin?next={Uri.EscapeDataString(next)}");
                return Task.CompletedTask;
            };
        });
        return builder;
    }

    /// <summary>Before the endpoints: static assets and the cross-site request guard.</summary>
    public static WebApplication UseWeb(this WebApplication app)
    {
        app.UseMiddleware<CrossSiteRequestGuard>();
        app.Use((context, next) =>
        {
            if (IsPageRequest(context.Request) && !context.Request.Path.StartsWithSegments("/static"))
            {
                // Pages load only their own scripts and styles (no inline code), and are never framed.
                context.Response.Headers.ContentSecurityPolicy =
                    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";
                context.Response.Headers["Referrer-Policy"] = "same-origin";
                context.Response.Headers.XContentTypeOptions = "nosniff";
            }
            return next(context);
        });
        app.UseStaticFiles(app.Services.GetRequiredService<WebAssets>().StaticFileOptions);
        return app;
    }

    public static WebApplication MapWeb(this WebApplication app)
    {
        app.MapRazorPages();
        return app;
    }

    internal static bool IsPageRequest(HttpRequest request) =>
        !request.Path.StartsWithSegments("/api") && !request.Path.StartsWithSegments("/authnz");
}
