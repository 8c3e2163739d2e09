namespace Skyport.Server.Datatypes;

internal static class Gff3Sniffer
{
    /// <summary>The version pragma is mandatory in GFF3; "##gff-version 3.1.26" is GFF3 too.</summary>
    public static bool Matches(TextHead head)
    {
        string? first = head.Lines.FirstOrDefault();
        if (first is null || !first.StartsWith("##gff-version", StringComparison.Ordinal))
        {
            return false;
        }
        string version = first["##gff-version".Length..].Trim();
        return version == "3" || version.StartsWith("3.", StringComparison.Ordinal);
    }
}
