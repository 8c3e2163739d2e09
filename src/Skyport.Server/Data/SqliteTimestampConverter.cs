using System.Globalization;
using System.Numerics;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Skyport.Server.Data;

/// <summary>
/// SQLite keeps timestamps as text (<c>2026-11-26 03:25:24.5908121</c>, the format Microsoft.Data.Sqlite writes).
/// This converter writes exactly that text, so comparisons and ordering in SQL are unchanged, and reads it back
/// field by field instead of through <see cref="DateTime.Parse(string, IFormatProvider)"/>, which cost several
/// microseconds per value: a history listing reads two per dataset. Anything else falls back to the general parser.
/// </summary>
internal sealed class SqliteTimestampConverter() : ValueConverter<DateTime, string>(
    v => Format(v),
    v => Parse(v))
{
    private const string StoredFormat = @"yyyy\-MM\-dd HH\:mm\:ss.FFFFFFF";

    public static string Format(DateTime value) =>
        (value.Kind == DateTimeKind.Utc ? value : value.ToUniversalTime()).ToString(StoredFormat, CultureInfo.InvariantCulture);

    public static DateTime Parse(string text)
    {
        if (TryParseStored(text.AsSpan(), out var value))
        {
            return value;
        }
        return DateTime.SpecifyKind(DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal), DateTimeKind.Utc);
    }

    /// <summary>The stored text as UTF-8 bytes (read straight from SQLite); anything unusual goes through <see cref="Parse"/>.</summary>
    public static DateTime ParseUtf8(ReadOnlySpan<byte> text) =>
        TryParseStored(text, out var value) ? value : Parse(System.Text.Encoding.UTF8.GetString(text));

    /// <summary><c>yyyy-MM-dd HH:mm:ss</c> with an optional fraction of 1 to 7 digits, as UTC; UTF-16 or UTF-8 text.</summary>
    private static bool TryParseStored<T>(ReadOnlySpan<T> text, out DateTime value) where T : unmanaged, IBinaryInteger<T>
    {
        value = default;
        if (text.Length < 19 || text.Length == 20 || text.Length > 27 || !Is(text[4], '-') || !Is(text[7], '-') || !Is(text[10], ' ')
            || !Is(text[13], ':') || !Is(text[16], ':') || (text.Length > 19 && !Is(text[19], '.')))
        {
            return false;
        }
        if (!Digits(text[..4], out var year) || !Digits(text.Slice(5, 2), out var month) || !Digits(text.Slice(8, 2), out var day)
            || !Digits(text.Slice(11, 2), out var hour) || !Digits(text.Slice(14, 2), out var minute) || !Digits(text.Slice(17, 2), out var second))
        {
            return false;
        }
        var ticks = 0;
        if (text.Length > 19)
        {
            var fraction = text[20..];
            if (!Digits(fraction, out ticks))
            {
                return false;
            }
            for (var i = fraction.Length; i < 7; i++)
            {
                ticks *= 10;
            }
        }
        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || year < 1 || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        value = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).AddTicks(ticks);
        return true;
    }

    private static bool Is<T>(T c, char expected) where T : unmanaged, IBinaryInteger<T> => int.CreateTruncating(c) == expected;

    private static bool Digits<T>(ReadOnlySpan<T> text, out int value) where T : unmanaged, IBinaryInteger<T>
    {
        value = 0;
        foreach (var c in text)
        {
            var digit = int.CreateTruncating(c) - '0';
            if ((uint)digit > 9)
            {
                return false;
            }
            value = value * 10 + digit;
        }
        return true;
    }
}
