using Microsoft.AspNetCore.Mvc;
using Skyport.Server.Galaxy;
using Skyport.Server.Histories;

namespace Skyport.Server.Web.Pages.Histories;

public sealed class HistoriesModel(HistoriesService histories) : SkyportPageModel
{
    private const int PageSize = 50;

    public IReadOnlyList<HistorySummary> Histories { get; private set; } = [];
    public Pager Pager { get; private set; } = Pager.None;

    public async Task OnGetAsync(int? offset, CancellationToken cancellationToken)
    {
        var start = Math.Max(0, offset ?? 0);
        var page = await histories.ListAsync(new HistoryListQuery(false, PageSize + 1, start, [], []), cancellationToken);
        Histories = page.Take(PageSize).ToList();
        Pager = new Pager("/histories", start, PageSize, page.Count > PageSize);
    }

    public async Task<IActionResult> OnPostCreateAsync(string? name, CancellationToken cancellationToken)
    {
        var created = await histories.CreateAsync(new CreateHistoryRequest(string.IsNullOrWhiteSpace(name) ? null : name), cancellationToken);
        return Redirect($"/histories/{created.Id}");
    }

    public async Task<IActionResult> OnPostRenameAsync(string id, string? name, CancellationToken cancellationToken)
    {
        var renamed = await histories.UpdateAsync(new EncodedId(id), new UpdateHistoryRequest(name ?? "", null, null), cancellationToken);
        Info($"Renamed to {renamed.Name}.");
        return Back();
    }

    public async Task<IActionResult> OnPostDeleteAsync(string id, CancellationToken cancellationToken)
    {
        var deleted = await histories.DeleteAsync(new EncodedId(id), purge: false, cancellationToken);
        Info($"Deleted the history {deleted.Name}.");
        return Back();
    }
}
