namespace Skyport.Server.Datatypes;

/// <summary>XML: an XML declaration, or markup that opens with a root element.</summary>
internal static class XmlSniffer
{
    public static bool Matches(TextHead head)
    {
        ReadOnlySpan<char> text = head.Text.AsSpan().TrimStart();
        if (text.StartsWith("<?xml", StringComparison.Ordinal))
        {
            return true;
        }
        ReadOnlySpan<char> start = MarkupProlog.SkipProlog(head.Text);
        if (start.StartsWith("<!DOCTYPE", StringComparison.Ordinal))
        {
            int close = start.IndexOf('>');
            start = close < 0 ? [] : start[(close + 1)..].TrimStart();
        }
        return start.Length > 2 && start[0] == '<' && (char.IsLetter(start[1]) || start[1] is '_' or ':') && start.Contains('>');
    }
}
