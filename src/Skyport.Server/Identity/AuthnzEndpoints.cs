namespace Skyport.Server.Identity;

public static class AuthnzEndpoints
{
    public static IEndpointRouteBuilder MapAuthnz(this IEndpointRouteBuilder app)
    {
        var g = app.MapGroup("/authnz").WithTags("Identity");
        g.MapGet("/", (AuthnzService s, CancellationToken ct) => s.ListAsync(ct)).RequireAuthorization();
        g.MapGet("/providers", (AuthnzService s) => s.Providers()).AllowAnonymous();
        g.MapGet("/{provider}/login", (string provider, string? next, AuthnzService s) => s.Login(provider, next)).AllowAnonymous();
        g.MapGet("/{provider}/disconnect/{email}", (string provider, string email, AuthnzService s, CancellationToken ct) =>
            s.DisconnectAsync(provider, email, ct)).RequireAuthorization();
        return app;
    }
}
