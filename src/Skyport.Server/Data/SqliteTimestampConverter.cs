using System.Globalization;
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
        if (TryParseStored(text, out var value))
        {
            return value;
        }
        return DateTime.SpecifyKind(DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal), DateTimeKind.Utc);
    }

    /// <summary><c>yyyy-MM-dd HH:mm:ss</c> with an optional fraction of 1 to 7 digits, as UTC.</summary>
    private static bool TryParseStored(ReadOnlySpan<char> text, out DateTime value)
    {
        value = default;
        if (text.Length < 19 || text.Length == 20 || text.Length > 27 || text[4] != '-' || text[7] != '-' || text[10] != ' '
            || text[13] != ':' || text[16] != ':' || (text.Length > 19 && text[19] != '.'))
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

    private static bool Digits(ReadOnlySpan<char> text, out int value)
    {
        value = 0;
        foreach (var c in text)
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
