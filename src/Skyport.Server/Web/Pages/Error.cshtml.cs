namespace Skyport.Server.Web.Pages;

/// <summary>Where a page that could not be shown lands; the service's message is the flash above.</summary>
public sealed class ErrorModel : SkyportPageModel
{
    public string Heading { get; private set; } = "Something went wrong";

    public void OnGet(int? status)
    {
        Heading = status switch
        {
            404 => "Not found",
            403 => "Not yours",
            401 => "Please sign in",
            _ => "Something went wrong",
        };
        if (status is >= 400 and < 600)
        {
            Response.StatusCode = status.Value;
        }
    }
}
