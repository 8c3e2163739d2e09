using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Skyport.Server.Identity;
using Skyport.Server.Users;

namespace Skyport.Server.Web.Pages;

/// <summary>Local accounts sign in with a password (the same check as Galaxy's baseauth); each OIDC provider has a button to its login route.</summary>
public sealed class SignInModel(AuthnzService authnz, UsersService users) : SkyportPageModel
{
    public IReadOnlyList<ProviderView> Providers { get; private set; } = [];
    public string Next { get; private set; } = "/histories";
    public string? Email { get; private set; }

    public IActionResult OnGet(string? next)
    {
        if (User.Identity?.IsAuthenticated == true)
        {
            return Redirect(LocalPath(next));
        }
        Providers = authnz.Providers();
        Next = LocalPath(next);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync(string? email, string? password, string? next, CancellationToken cancellationToken)
    {
        var user = await users.VerifyPasswordAsync(email?.Trim() ?? "", password ?? "", cancellationToken);
        await HttpContext.SignInAsync(IdentityExtensions.CookieScheme, CurrentUser.CreatePrincipal(user, IdentityExtensions.CookieScheme));
        return Redirect(LocalPath(next));
    }

    /// <summary>Only paths of this site: signing in must not become an open redirect.</summary>
    private static string LocalPath(string? next) =>
        next is { Length: > 1 } && next.StartsWith('/') && !next.StartsWith("//", StringComparison.Ordinal) && !next.StartsWith("/\\", StringComparison.Ordinal)
            ? next
            : "/histories";
}
