using Microsoft.Net.Http.Headers;
using Skyport.Server.Datasets.Storage;
using Skyport.Server.Galaxy;

namespace Skyport.Server.Datasets;

/// <summary>
/// A dataset's bytes through the framework's file results, which do ranges, ETags and If-Range right: a local file is
/// sent as a file, in large blocks (<see cref="LargeBlockFileSender"/>); a remote store's object through a seekable stream of ranged GETs, fetching just the
/// slice a single Range asks for. The framework's 416 has an empty body and a content type, so status code pages never
/// give it Galaxy's envelope; that one case is raised as the error it is, to be mapped where all errors are.
/// </summary>
internal sealed class DatasetFileResult(IDatasetStore store, Guid uuid, long length, string contentType, string? downloadName,
    DateTimeOffset lastModified, EntityTagHeaderValue? entityTag) : IResult
{
    public async Task ExecuteAsync(HttpContext httpContext)
    {
        if (store.LocalPath(uuid) is { } path)
        {
            var file = Results.File(path, contentType, downloadName, lastModified, entityTag, enableRangeProcessing: true);
            await LargeBlockFileSender.SendWithAsync(httpContext, () => file.ExecuteAsync(httpContext));
        }
        else
        {
            await Results.Stream(new StoredDatasetStream(store, uuid, length, RequestedRange(httpContext.Request)), contentType, downloadName,
                lastModified, entityTag, enableRangeProcessing: true).ExecuteAsync(httpContext);
        }
        if (httpContext.Response.StatusCode == StatusCodes.Status416RangeNotSatisfiable && !httpContext.Response.HasStarted)
        {
            throw new RangeNotSatisfiableException($"The requested range is not satisfiable: the dataset has {length} bytes.", length);
        }
    }

    /// <summary>The one byte range asked for, as inclusive offsets, when there is exactly one that fits (the framework serves no others).</summary>
    private (long From, long To)? RequestedRange(HttpRequest request)
    {
        var ranges = request.GetTypedHeaders().Range?.Ranges;
        if (ranges is not { Count: 1 } || length == 0)
        {
            return null;
        }
        var range = ranges.First();
        var (from, to) = range.From is { } start
            ? (start, Math.Min(range.To ?? length - 1, length - 1))
            : (Math.Max(length - (range.To ?? 0), 0), length - 1);
        return from <= to ? (from, to) : null;
    }
}
