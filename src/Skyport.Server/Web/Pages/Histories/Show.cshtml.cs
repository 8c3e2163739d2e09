using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Skyport.Server.Cloud.Authz;
using Skyport.Server.Cloud.Storage;
using Skyport.Server.Datasets;
using Skyport.Server.Datatypes;
using Skyport.Server.Galaxy;
using Skyport.Server.Histories;
using Skyport.Server.Uploads;

namespace Skyport.Server.Web.Pages.Histories;

/// <summary>A history: its datasets (paged), adding data (TUS from the browser; pasted text and URLs here), and sending datasets to a bucket.</summary>
public sealed class HistoryModel(
    HistoriesService histories,
    DatasetsService datasets,
    CloudAuthzService authorizations,
    ToolsService tools,
    CloudSendService send,
    DatatypeRegistry datatypes) : SkyportPageModel
{
    private const int PageSize = 25;

    [FromRoute]
    public string Id { get; set; } = "";

    public HistoryDetails History { get; private set; } = null!;
    public IReadOnlyList<DatasetDetails> Datasets { get; private set; } = [];
    public IReadOnlyList<AuthzView> Authorizations { get; private set; } = [];
    public IReadOnlyList<Datatype> Datatypes => datatypes.All;
    public Pager Pager { get; private set; } = Pager.None;

    public async Task OnGetAsync(int? offset, CancellationToken cancellationToken)
    {
        var id = new EncodedId(Id);
        History = await histories.ShowAsync(id, cancellationToken);
        var start = Math.Max(0, offset ?? 0);
        var items = await datasets.ListContentsAsync(id, new ContentsQuery(PageSize + 1, start, Deleted: false, Visible: null, Types: null), cancellationToken);
        var shown = new List<DatasetDetails>();
        foreach (var item in items.Take(PageSize))
        {
            shown.Add(await datasets.ShowInHistoryAsync(id, new EncodedId(item.Id), cancellationToken));
        }
        Datasets = shown;
        Pager = new Pager($"/histories/{History.Id}", start, PageSize, items.Count > PageSize);
        Authorizations = await authorizations.ListAsync(cancellationToken);
    }

    public async Task<IActionResult> OnPostRenameAsync(string datasetId, string? name, string? dbkey, CancellationToken cancellationToken)
    {
        var updated = await datasets.UpdateInHistoryAsync(new EncodedId(Id), new EncodedId(datasetId),
            new UpdateDatasetRequest(name, null, dbkey, null, null, null, null), cancellationToken);
        Info($"Saved {updated.Name}.");
        return Back();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string datasetId, CancellationToken cancellationToken)
    {
        var deleted = await datasets.DeleteInHistoryAsync(new EncodedId(Id), new EncodedId(datasetId), purge: false, cancellationToken);
        Info($"Deleted {deleted.Name}.");
        return Back();
    }

    /// <summary>Pasted text and URLs go through Galaxy's fetch tool, exactly as an API client's would.</summary>
    public async Task<IActionResult> OnPostFetchAsync(string? paste, string? url, string? name, string? ext, string? dbkey, CancellationToken cancellationToken)
    {
        var elements = new List<Dictionary<string, object?>>();
        Dictionary<string, object?> Element(string src) => new()
        {
            ["src"] = src,
            ["ext"] = string.IsNullOrEmpty(ext) ? "auto" : ext,
            ["dbkey"] = string.IsNullOrWhiteSpace(dbkey) ? "?" : dbkey,
            ["name"] = string.IsNullOrWhiteSpace(name) ? null : name,
        };
        if (!string.IsNullOrEmpty(paste))
        {
            var element = Element("pasted");
            element["paste_content"] = paste;
            elements.Add(element);
        }
        if (!string.IsNullOrWhiteSpace(url))
        {
            var element = Element("url");
            element["url"] = url.Trim();
            elements.Add(element);
        }
        if (elements.Count == 0)
        {
            Error("Paste some text or give a URL to add.");
            return Back();
        }
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, object?>
        {
            ["history_id"] = Id,
            ["targets"] = new[] { new Dictionary<string, object?> { ["destination"] = new { type = "hdas" }, ["elements"] = elements } },
        });
        var queued = await tools.FetchAsync(body, cancellationToken);
        Info($"Queued {queued.Outputs.Count} dataset(s).");
        return Back();
    }

    public async Task<IActionResult> OnPostSendAsync(string authzId, string? bucket, string? keyPrefix, string? onConflict, string[]? datasetIds,
        CancellationToken cancellationToken)
    {
        if (datasetIds is not { Length: > 0 })
        {
            Error("Select the datasets to send first.");
            return Back();
        }
        var body = JsonSerializer.SerializeToElement(new Dictionary<string, object?>
        {
            ["history_id"] = Id,
            ["authz_id"] = authzId,
            ["bucket"] = bucket ?? "",
            ["dataset_ids"] = datasetIds,
            ["key_prefix"] = keyPrefix ?? "",
            ["on_conflict"] = string.IsNullOrEmpty(onConflict) ? "rename" : onConflict,
        });
        var result = await send.SendAsync(body, cancellationToken);
        var message = $"Sending {result.SentDatasetLabels.Count} dataset(s) to {result.BucketName}.";
        if (result.FailedDatasetLabels.Count > 0)
        {
            message += $" Not sent: {string.Join("; ", result.FailedDatasetLabels.Select(SendLabels.Describe))}";
        }
        Info(message);
        return Redirect("/transfers");
    }
}
