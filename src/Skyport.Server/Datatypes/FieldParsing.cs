using System.Globalization;

namespace Skyport.Server.Datatypes;

internal static class FieldParsing
{
    public static bool TryParseCoordinate(string field, out long value) =>
        long.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out value);

    public static bool IsInteger(string field) =>
        long.TryParse(field, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);

    public static bool IsNumber(string field) =>
        double.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    public static bool IsStrand(string field) => field is "+" or "-" or ".";
}
