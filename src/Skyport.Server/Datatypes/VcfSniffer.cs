namespace Skyport.Server.Datatypes;

internal static class VcfSniffer
{
    public static bool Matches(TextHead head) => head.StartsWith("##fileformat=VCF");
}
