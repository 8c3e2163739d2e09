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

    /// <summary>
    /// Galaxy's timestamp, <c>2024-01-31T12:34:56.123456</c> (UTC, microseconds truncated, no zone designator), as
    /// UTF-8 into <paramref name="destination"/> (26 bytes or more). Written digit by digit: a history listing writes
    /// two per dataset, tens of thousands per response, and this is several times cheaper than a custom format string.
    /// </summary>
    public static ReadOnlySpan<byte> FormatTimestamp(DateTime value, Span<byte> destination)
    {
        const int Length = 26;
        var text = destination[..Length];
        Digits(text[..4], value.Year);
        text[4] = (byte)'-';
        Digits(text.Slice(5, 2), value.Month);
        text[7] = (byte)'-';
        Digits(text.Slice(8, 2), value.Day);
        text[10] = (byte)'T';
        Digits(text.Slice(11, 2), value.Hour);
        text[13] = (byte)':';
        Digits(text.Slice(14, 2), value.Minute);
        text[16] = (byte)':';
        Digits(text.Slice(17, 2), value.Second);
        text[19] = (byte)'.';
        Digits(text.Slice(20, 6), (int)(value.Ticks % TimeSpan.TicksPerSecond / 10));
        return text;
    }

    private static void Digits(Span<byte> destination, int value)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (byte)('0' + value % 10);
            value /= 10;
        }
    }

    private sealed class GalaxyDateTimeConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            DateTime.Parse(reader.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options)
        {
            Span<byte> text = stackalloc byte[32];
            writer.WriteStringValue(FormatTimestamp(value, text));
        }
    }
}
