using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Skyport.Server.Identity;

namespace Skyport.Server.Web.Pages;

public sealed class SignOutModel : SkyportPageModel
{
    public IActionResult OnGet() => Redirect("/");

    public async Task<IActionResult> OnPostAsync()
    {
        await HttpContext.SignOutAsync(IdentityExtensions.CookieScheme);
        return Redirect("/signin");
    }
}
