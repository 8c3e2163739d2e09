using System.Globalization;
using System.Security.Claims;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Users;

/// <summary>The authenticated caller of this request, as services see it.</summary>
public sealed class CurrentUser(IHttpContextAccessor accessor)
{
    private const string AdminClaim = "skyport:admin";

    public long Id => TryGetId() ?? throw new AuthenticationFailedException("API authentication required for this request");

    public bool IsAdmin => accessor.HttpContext?.User.HasClaim(AdminClaim, "true") == true;

    public void RequireAdmin()
    {
        _ = Id;
        if (!IsAdmin)
        {
            throw new AdminRequiredException();
        }
    }

    public long? TryGetId()
    {
        var value = accessor.HttpContext?.User.FindFirstValue(ClaimTypes.NameIdentifier);
        return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    public static ClaimsPrincipal CreatePrincipal(User user, string scheme)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, user.Id.ToString(CultureInfo.InvariantCulture)),
            new(ClaimTypes.Email, user.Email),
            new(ClaimTypes.Name, user.Username),
        };
        if (user.IsAdmin)
        {
            claims.Add(new Claim(AdminClaim, "true"));
        }
        return new ClaimsPrincipal(new ClaimsIdentity(claims, scheme));
    }
}
