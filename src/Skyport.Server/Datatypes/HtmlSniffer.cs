namespace Skyport.Server.Datatypes;

/// <summary>HTML by its doctype or root element, looked for after any XML declaration and comments.</summary>
internal static class HtmlSniffer
{
    public static bool Matches(TextHead head)
    {
        ReadOnlySpan<char> start = MarkupProlog.SkipProlog(head.Text);
        return start.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase)
            || start.StartsWith("<html", StringComparison.OrdinalIgnoreCase);
    }
}
