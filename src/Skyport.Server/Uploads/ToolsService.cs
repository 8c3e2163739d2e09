using System.Text.Json;
using Skyport.Server.Histories;

namespace Skyport.Server.Uploads;

/// <summary>Galaxy's upload tools: validates the whole request first, then queues every dataset or none.</summary>
public sealed class ToolsService(
    FetchRequestParser fetch,
    Upload1RequestParser upload1,
    HistoriesService histories,
    UploadQueue queue,
    UploadSessions sessions)
{
    public const string FetchToolId = "__DATA_FETCH__";

    public Task<ToolResponse> FetchAsync(JsonElement body, CancellationToken cancellationToken) =>
        AllOrNothingAsync(async () =>
        {
            var (historyId, items) = await fetch.ParseAsync(body, cancellationToken);
            var history = await histories.FindWritableAsync(new(historyId), cancellationToken);
            return await queue.QueueAsync(history, items, FetchToolId, cancellationToken);
        });

    public Task<ToolResponse> RunUploadAsync(HttpRequest request, CancellationToken cancellationToken) =>
        AllOrNothingAsync(async () =>
        {
            var (historyId, items) = await upload1.ParseAsync(request, cancellationToken);
            var history = await histories.FindWritableAsync(new(historyId), cancellationToken);
            return await queue.QueueAsync(history, items, Upload1RequestParser.ToolId, cancellationToken);
        });

    /// <summary>A refused request queues nothing, and also keeps none of the bytes it brought along.</summary>
    private async Task<ToolResponse> AllOrNothingAsync(Func<Task<ToolResponse>> run)
    {
        try
        {
            return await run();
        }
        catch
        {
            await sessions.DiscardFilledHereAsync();
            throw;
        }
    }
}
