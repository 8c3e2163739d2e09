namespace Skyport.Server.Web.Pages;

/// <summary>Live job progress: the page's script polls <c>GET /api/jobs</c> and cancels with <c>DELETE /api/jobs/{id}</c>.</summary>
public sealed class TransfersModel : SkyportPageModel
{
    public void OnGet()
    {
    }
}
