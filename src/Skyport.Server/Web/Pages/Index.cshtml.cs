using Microsoft.AspNetCore.Mvc;

namespace Skyport.Server.Web.Pages;

public sealed class IndexModel : SkyportPageModel
{
    public IActionResult OnGet() => Redirect("/histories");
}
