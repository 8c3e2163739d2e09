namespace Skyport.Server.Datatypes;

internal static class MarkupProlog
{
    private const int MaxPrologSkips = 32;

    /// <summary>Skips leading whitespace, an XML declaration, processing instructions and comments.</summary>
    public static ReadOnlySpan<char> SkipProlog(string text)
    {
        ReadOnlySpan<char> rest = text.AsSpan().TrimStart();
        for (int i = 0; i < MaxPrologSkips; i++)
        {
            string? terminator = rest.StartsWith("<?") ? "?>" : rest.StartsWith("<!--") ? "-->" : null;
            if (terminator is null)
            {
                break;
            }
            int end = rest.IndexOf(terminator);
            if (end < 0)
            {
                return [];
            }
            rest = rest[(end + terminator.Length)..].TrimStart();
        }
        return rest;
    }
}
