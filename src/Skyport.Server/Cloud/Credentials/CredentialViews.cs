namespace Skyport.Server.Cloud.Credentials;

public sealed record IssuanceView(
    string Id,
    string AuthzId,
    string Provider,
    string Purpose,
    DateTime IssuedAt,
    DateTime? ExpiresAt,
    bool Succeeded,
    string? Error);

public sealed record AuthzTestResult(string AuthzId, string Provider, bool Ok, DateTime? ExpiresAt, string? Error);
