using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.ViewFeatures;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Web;

/// <summary>
/// The services' Galaxy errors, shown to people: a refused form comes back to the page it was sent from with the
/// service's message; a page that cannot be shown (unknown or someone else's history...) shows the error page.
/// </summary>
internal sealed class PageErrorFilter : IAsyncPageFilter
{
    public Task OnPageHandlerSelectionAsync(PageHandlerSelectedContext context) => Task.CompletedTask;

    public async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var executed = await next();
        if (executed.Exception is not GalaxyException error || executed.ExceptionHandled)
        {
            return;
        }
        executed.ExceptionHandled = true;
        var http = context.HttpContext;
        var tempData = http.RequestServices.GetRequiredService<ITempDataDictionaryFactory>().GetTempData(http);
        if (HttpMethods.IsGet(http.Request.Method))
        {
            tempData[Flash.ErrorKey] = error.Message;
            executed.Result = new RedirectResult($"/error?status={error.StatusCode}");
            return;
        }
        tempData[Flash.ErrorKey] = error.Message;
        executed.Result = new RedirectResult(Flash.BackTo(http.Request));
    }
}

/// <summary>One-shot messages shown at the top of the next page.</summary>
public static class Flash
{
    public const string ErrorKey = "flash_error";
    public const string InfoKey = "flash_info";

    /// <summary>The page a form came from (its own path and query): only local paths, never an open redirect.</summary>
    public static string BackTo(HttpRequest request)
    {
        var query = QueryString.Create(request.Query.Where(q => q.Key != "handler"));
        var path = request.PathBase + request.Path + query;
        return path.StartsWith('/') && !path.StartsWith("//", StringComparison.Ordinal) ? path : "/";
    }
}
