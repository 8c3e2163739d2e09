namespace Skyport.Server.Web;

/// <summary>Offset paging of a list page: the page asks the service for one item more than it shows to know whether there is a next page.</summary>
public sealed record Pager(string Path, int Offset, int PageSize, bool HasNext)
{
    public static readonly Pager None = new("/", 0, 1, false);

    public bool HasPrevious => Offset > 0;
    public int PreviousOffset => Math.Max(0, Offset - PageSize);
    public string Link(int offset) => offset == 0 ? Path : $"{Path}?offset={offset}";
}
