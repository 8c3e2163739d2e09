using System.Text.Json;

namespace Skyport.Server.Galaxy;

/// <summary>
/// Reads a loosely typed Galaxy payload (a JSON object with keys such as <c>files_0|file_data</c>)
/// and turns every missing or mistyped field into Galaxy's 400007 or 400008, naming the field.
/// </summary>
public sealed class Payload(JsonElement element, string path)
{
    public static Payload Root(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object
            ? new Payload(element, "")
            : throw new RequestParameterInvalidException("The request body must be a JSON object.");

    public JsonElement Element => element;

    public bool Has(string name) => element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;

    public string RequiredString(string name) =>
        OptionalString(name) ?? throw RequestParameterMissingException.For(Name(name));

    public string? OptionalString(string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new RequestParameterInvalidException($"'{Name(name)}' must be a string.");
    }

    /// <summary>JSON booleans and Galaxy's strings ("true", "False", "Yes").</summary>
    public bool? OptionalBool(string name)
    {
        if (!element.TryGetProperty(name, out var value))
        {
            return null;
        }
        try
        {
            return value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                JsonValueKind.String => LenientBooleanConverter.Parse(value.GetString()),
                _ => throw new JsonException(),
            };
        }
        catch (JsonException)
        {
            throw new RequestParameterInvalidException($"'{Name(name)}' must be true or false.");
        }
    }

    public int? OptionalInt(string name, int min, int max)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number) && number >= min && number <= max)
        {
            return number;
        }
        throw new RequestParameterInvalidException($"'{Name(name)}' must be an integer between {min} and {max}.");
    }

    public Payload? OptionalObject(string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Object
            ? new Payload(value, Name(name))
            : throw new RequestParameterInvalidException($"'{Name(name)}' must be an object.");
    }

    /// <summary>An object given either inline or as a JSON-encoded string (form posts carry nested objects that way).</summary>
    public Payload? OptionalObjectOrJsonString(string name)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        if (value.ValueKind == JsonValueKind.String)
        {
            try
            {
                value = JsonSerializer.Deserialize<JsonElement>(value.GetString()!);
            }
            catch (JsonException)
            {
                throw new RequestParameterInvalidException($"'{Name(name)}' is not valid JSON.");
            }
        }
        return value.ValueKind == JsonValueKind.Object
            ? new Payload(value, Name(name))
            : throw new RequestParameterInvalidException($"'{Name(name)}' must be an object.");
    }

    public Payload RequiredObject(string name) =>
        OptionalObject(name) ?? throw RequestParameterMissingException.For(Name(name));

    /// <summary>A list of objects; <paramref name="maxItems"/> bounds how much one request may ask for.</summary>
    public IReadOnlyList<Payload> RequiredObjectList(string name, int maxItems)
    {
        var items = RequiredList(name, maxItems);
        var path = Name(name);
        return items.Select((item, index) => item.ValueKind == JsonValueKind.Object
            ? new Payload(item, $"{path}[{index}]")
            : throw new RequestParameterInvalidException($"'{path}[{index}]' must be an object.")).ToList();
    }

    public IReadOnlyList<string> RequiredStringList(string name, int maxItems) =>
        StringItems(name, RequiredList(name, maxItems));

    public IReadOnlyList<string>? OptionalStringList(string name, int maxItems) =>
        Has(name) ? StringItems(name, RequiredList(name, maxItems)) : null;

    private List<JsonElement> RequiredList(string name, int maxItems)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            throw RequestParameterMissingException.For(Name(name));
        }
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new RequestParameterInvalidException($"'{Name(name)}' must be a list.");
        }
        var length = value.GetArrayLength();
        if (length > maxItems)
        {
            throw new RequestParameterInvalidException($"'{Name(name)}' has {length} items; at most {maxItems} are allowed per request.");
        }
        return value.EnumerateArray().ToList();
    }

    private List<string> StringItems(string name, List<JsonElement> items) =>
        items.Select((item, index) => item.ValueKind == JsonValueKind.String
            ? item.GetString()!
            : throw new RequestParameterInvalidException($"'{Name(name)}[{index}]' must be a string.")).ToList();

    private string Name(string name) => path.Length == 0 ? name : $"{path}.{name}";
}
