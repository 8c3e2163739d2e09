using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Skyport.Server.Galaxy;

/// <summary>JSON conventions of Galaxy's API: snake_case names and timestamps without an offset (UTC).</summary>
public static class GalaxyJson
{
    public static void Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.Converters.Add(new GalaxyDateTimeConverter());
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        options.NumberHandling = JsonNumberHandling.Strict;
    }

    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(options);
        return options;
    }

    /// <summary>Galaxy writes <c>2024-01-31T12:34:56.123456</c>: UTC, microseconds, no zone designator.</summary>
    private sealed class GalaxyDateTimeConverter : JsonConverter<DateTime>
    {
        private const string Format = "yyyy-MM-dd'T'HH:mm:ss.ffffff";

        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTime.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
        {
            // Formatted into the stack: a history listing writes two timestamps per dataset, thousands per response.
            Span<char> text = stackalloc char[32];
            DateTime.SpecifyKind(value, DateTimeKind.Utc).TryFormat(text, out var written, Format, CultureInfo.InvariantCulture);
            writer.WriteStringValue(text[..written]);
        }
    }
}
