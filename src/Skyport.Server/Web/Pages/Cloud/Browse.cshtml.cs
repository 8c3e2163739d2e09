using System.Text.Json;
using Microsoft.AspNetCore.Mvc;
using Skyport.Server.Cloud.Authz;
using Skyport.Server.Cloud.Storage;
using Skyport.Server.Datatypes;
using Skyport.Server.Histories;

namespace Skyport.Server.Web.Pages.Cloud;

/// <summary>Walks a bucket (the page's script pages through <c>GET /api/cloud/storage/list</c>) and imports the selection with <see cref="CloudGetService"/>.</summary>
public sealed class BrowseModel(CloudAuthzService authorizations, HistoriesService histories, CloudGetService get, DatatypeRegistry datatypes) : SkyportPageModel
{
    public IReadOnlyList<AuthzView> Authorizations { get; private set; } = [];
    public IReadOnlyList<HistorySummary> Histories { get; private set; } = [];
    public IReadOnlyList<Datatype> Datatypes => datatypes.All;
    public string? Authz { get; private set; }
    public string? Bucket { get; private set; }
    public string? History { get; private set; }

    public async Task OnGetAsync(string? authz, string? bucket, string? history, CancellationToken cancellationToken)
    {
        Authorizations = await authorizations.ListAsync(cancellationToken);
        Histories = await histories.ListAsync(new HistoryListQuery(false, 200, 0, [], []), cancellationToken);
        (Authz, Bucket, History) = (authz, bucket, history);
    }

    public async Task<IActionResult> OnPostImportAsync(string historyId, string authzId, string bucket, string[]? objects, string? prefix,
        string? ext, string? dbkey, bool toPosixLines, bool spaceToTab, CancellationToken cancellationToken)
    {
        var request = new Dictionary<string, object?>
        {
            ["history_id"] = historyId,
            ["authz_id"] = authzId,
            ["bucket"] = bucket,
            ["input_args"] = new Dictionary<string, object?>
            {
                ["file_type"] = string.IsNullOrEmpty(ext) ? "auto" : ext,
                ["dbkey"] = string.IsNullOrWhiteSpace(dbkey) ? "?" : dbkey.Trim(),
                ["to_posix_lines"] = toPosixLines,
                ["space_to_tab"] = spaceToTab,
            },
        };
        if (prefix is not null)
        {
            request["prefix"] = prefix;
        }
        else if (objects is { Length: > 0 })
        {
            request["objects"] = objects;
        }
        else
        {
            Error("Select objects (or a whole folder) to import.");
            return Redirect($"/cloud/browse?authz={Uri.EscapeDataString(authzId)}&bucket={Uri.EscapeDataString(bucket)}&history={Uri.EscapeDataString(historyId)}");
        }
        var queued = await get.GetAsync(JsonSerializer.SerializeToElement(request), cancellationToken);
        Info($"Importing {Count(queued)} object(s) from {bucket}.");
        return Redirect($"/histories/{Uri.EscapeDataString(historyId)}");
    }

    private static int Count(object queued) => queued is System.Collections.ICollection c ? c.Count : 1;
}
