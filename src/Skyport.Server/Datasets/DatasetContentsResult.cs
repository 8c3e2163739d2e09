using Skyport.Server.Galaxy;

namespace Skyport.Server.Datasets;

/// <summary>A history's contents, written as JSON by <see cref="DatasetContentsJson"/> once the request has been checked.</summary>
internal sealed class DatasetContentsResult(long historyId, IAsyncEnumerable<DatasetContentRow> rows, IdEncoder ids) : IResult
{
    public Task ExecuteAsync(HttpContext httpContext)
    {
        httpContext.Response.ContentType = "application/json; charset=utf-8";
        return DatasetContentsJson.WriteAsync(httpContext.Response.BodyWriter, historyId, rows, ids, httpContext.RequestAborted);
    }
}
