using Skyport.Server.Cloud.Authz;
using Skyport.Server.Cloud.Credentials;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Cloud;

public static class CloudEndpoints
{
    public static IEndpointRouteBuilder MapCloudAuthz(this IEndpointRouteBuilder app)
    {
        var authz = app.MapGroup("/api/cloud/authz").RequireAuthorization().WithTags("Cloud authorizations");
        authz.MapGet("/", (CloudAuthzService s, CancellationToken ct) => s.ListAsync(ct));
        authz.MapPost("/", (CreateAuthzRequest body, CloudAuthzService s, CancellationToken ct) => s.CreateAsync(body, ct));
        authz.MapGet("/{id}", (EncodedId id, CloudAuthzService s, CancellationToken ct) => s.ShowAsync(id, ct));
        authz.MapPut("/{id}", (EncodedId id, UpdateAuthzRequest body, CloudAuthzService s, CancellationToken ct) => s.UpdateAsync(id, body, ct));
        authz.MapDelete("/{id}", (EncodedId id, CloudAuthzService s, CancellationToken ct) => s.DeleteAsync(id, ct));
        authz.MapPost("/{id}/test", (EncodedId id, CredentialsService s, CancellationToken ct) => s.TestAsync(id, ct));

        var credentials = app.MapGroup("/api/cloud/credentials").RequireAuthorization().WithTags("Cloud authorizations");
        credentials.MapGet("/issuances", (HttpRequest r, CredentialsService s, CancellationToken ct) => s.ListIssuancesAsync(
            r.Query["authz_id"].FirstOrDefault() is { } a ? new EncodedId(a) : null, QueryValues.Int(r, "limit", 1, 1000), ct));
        return app;
    }
}
