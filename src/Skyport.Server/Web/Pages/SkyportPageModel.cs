using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Skyport.Server.Web.Pages;

/// <summary>What every page shares: a one-shot message for the next page, and going back to where a form came from.</summary>
public abstract class SkyportPageModel : PageModel
{
    protected void Info(string message) => TempData[Flash.InfoKey] = message;

    protected void Error(string message) => TempData[Flash.ErrorKey] = message;

    protected RedirectResult Back() => Redirect(Flash.BackTo(Request));
}
