using System.Text.Json;
using Skyport.Server.Histories;

namespace Skyport.Server.Uploads;

/// <summary>Galaxy's upload tools: validates the whole request first, then queues every dataset or none.</summary>
public sealed class ToolsService(
    FetchRequestParser fetch,
    Upload1RequestParser upload1,
    HistoriesService histories,
    UploadQueue queue)
{
    public const string FetchToolId = "__DATA_FETCH__";

    public async Task<ToolResponse> FetchAsync(JsonElement body, CancellationToken cancellationToken)
    {
        var (historyId, items) = await fetch.ParseAsync(body, cancellationToken);
        var history = await histories.FindWritableAsync(new(historyId), cancellationToken);
        return await queue.QueueAsync(history, items, FetchToolId, cancellationToken);
    }

    public async Task<ToolResponse> RunUploadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var (historyId, items) = await upload1.ParseAsync(request, cancellationToken);
        var history = await histories.FindWritableAsync(new(historyId), cancellationToken);
        return await queue.QueueAsync(history, items, Upload1RequestParser.ToolId, cancellationToken);
    }
}
