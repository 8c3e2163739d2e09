using System.Globalization;

namespace Skyport.Server.Galaxy;

/// <summary>
/// Query-string values read the way Galaxy reads them ("True"/"false"/"1"), failing with 400008
/// and the parameter's name instead of the framework's bare 400.
/// </summary>
public static class QueryValues
{
    public static bool? Bool(HttpRequest request, string name)
    {
        var text = request.Query[name].FirstOrDefault();
        try
        {
            return LenientBooleanConverter.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            throw new RequestParameterInvalidException($"Parameter '{name}' must be true or false (got '{text}').");
        }
    }

    public static int? Int(HttpRequest request, string name, int min = 0, int max = int.MaxValue)
    {
        var text = request.Query[name].FirstOrDefault();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new RequestParameterInvalidException($"Parameter '{name}' must be an integer between {min} and {max} (got '{text}').");
        }
        return value;
    }
}
