using Skyport.Server.Galaxy;

namespace Skyport.Server.Datasets;

/// <summary>
/// A dataset's bytes through the framework's file result, which does ranges, ETags and If-Range right,
/// except that its 416 has an empty body and a content type, so status code pages never give it
/// Galaxy's envelope. That one case is raised as the error it is, to be mapped where all errors are.
/// </summary>
internal sealed class DatasetFileResult(IResult file, long length) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        await file.ExecuteAsync(httpContext);
        if (httpContext.Response.StatusCode == StatusCodes.Status416RangeNotSatisfiable && !httpContext.Response.HasStarted)
        {
            throw new RangeNotSatisfiableException($"The requested range is not satisfiable: the dataset has {length} bytes.", length);
        }
    }
}
