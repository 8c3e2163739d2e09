namespace Skyport.Server.Users;

public sealed record UserView(
    string Id,
    string Email,
    string Username,
    bool IsAdmin,
    bool Deleted,
    bool Purged,
    long TotalDiskUsage,
    string NiceTotalDiskUsage,
    double? QuotaPercent,
    DateTime CreateTime)
{
    public string ModelClass => "User";
}

public sealed record CreateUserRequest(string? Email, string? Username, string? Password);

public sealed record ApiKeyResponse(string ApiKey);

public sealed record CreatedUser(User User, string ApiKey);
