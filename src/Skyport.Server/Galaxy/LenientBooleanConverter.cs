using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skyport.Server.Galaxy;

/// <summary>
/// Galaxy read flags such as <c>to_posix_lines</c> as case-insensitive strings ("true", "Yes"), and its
/// clients send both those and JSON booleans. Anything else is a clear 400008, not a silent default.
/// </summary>
public sealed class LenientBooleanConverter : JsonConverter<bool?>
{
    public override bool HandleNull => true;

    public override bool? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.Null => null,
            JsonTokenType.String => Parse(reader.GetString()),
            _ => throw new JsonException("Expected a boolean."),
        };

    public static bool? Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "true" or "yes" or "1" or "on" => true,
        "false" or "no" or "0" or "off" => false,
        _ => throw new JsonException($"Expected a boolean, got '{text}'."),
    };

    public static bool? TryParse(string? text)
    {
        try
        {
            return Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public override void Write(Utf8JsonWriter writer, bool? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteBooleanValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
