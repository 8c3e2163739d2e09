using Skyport.Server.Galaxy;

namespace Skyport.Server.Users;

public static class UsersEndpoints
{
    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/users").RequireAuthorization().WithTags("Users");
        users.MapGet("/current", (UsersService s, CancellationToken ct) => s.ShowCurrentAsync(ct));
        users.MapGet("/", (UsersService s, CancellationToken ct) => s.ListAsync(ct));
        users.MapPost("/", (CreateUserRequest body, UsersService s, CancellationToken ct) => s.CreateFromApiAsync(body, ct));
        users.MapGet("/{id}", (EncodedId id, UsersService s, CancellationToken ct) => s.ShowAsync(id, ct));
        // A bare string would go out as text/plain; Galaxy answers a JSON string, and BioBlend parses every answer as JSON.
        users.MapPost("/{id}/api_key", async (EncodedId id, UsersService s, CancellationToken ct) => TypedResults.Json(await s.NewApiKeyAsync(id, ct)));

        app.MapGet("/api/authenticate/baseauth", (HttpRequest request, UsersService s, CancellationToken ct) =>
                s.BaseAuthAsync(request.Headers.Authorization.FirstOrDefault(), ct))
            .AllowAnonymous()
            .WithTags("Users");
        return app;
    }
}
