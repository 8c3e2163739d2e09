using Microsoft.AspNetCore.Authentication;

namespace Skyport.Server.Users;

public static class UsersExtensions
{
    public static WebApplicationBuilder AddUsers(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddScoped<CurrentUser>();
        builder.Services.AddScoped<ApiKeyService>();
        builder.Services.AddScoped<UsersService>();
        builder.Services.AddScoped<FirstStartBootstrap>();
        // The default scheme (API key or session cookie) is chosen in Identity's AddIdentity.
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorization();
        return builder;
    }
}
