using System.Text.Json;
using System.Text.Json.Nodes;

namespace Skyport.Server.Cloud.Authz;

/// <summary>Galaxy's CloudAuthz view. <see cref="Secrets"/> says which secret fields are set; their values never leave the server.</summary>
public sealed record AuthzView(
    string Id,
    string UserId,
    string Provider,
    JsonObject Config,
    IReadOnlyDictionary<string, bool> Secrets,
    string? AuthnId,
    string? Description,
    DateTime CreateTime,
    DateTime LastUpdate,
    DateTime? LastActivity)
{
    public string ModelClass => "CloudAuthz";
}

public sealed record CreateAuthzRequest(string? Provider, JsonElement? Config, string? AuthnId, string? Description);

public sealed record UpdateAuthzRequest(JsonElement? Config, string? AuthnId, string? Description);
