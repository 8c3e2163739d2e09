using System.Globalization;
using Skyport.Server.Data;

namespace Skyport.Tests.Data;

public class SqliteTimestampConverterTests
{
    [Theory]
    [InlineData("2026-11-26 03:25:24.5908121")]
    [InlineData("2026-11-26 03:25:24.59")]
    [InlineData("2026-11-26 03:25:24")]
    [InlineData("2024-02-29 23:59:59.9999999")]
    [InlineData("0001-01-01 00:00:00")]
    public void Parse_StoredText_ReadsWhatTheGeneralParserReads(string stored)
    {
        var expected = DateTime.Parse(stored, CultureInfo.InvariantCulture);

        var parsed = SqliteTimestampConverter.Parse(stored);

        Assert.Equal(expected.Ticks, parsed.Ticks);
        Assert.Equal(DateTimeKind.Utc, parsed.Kind);
    }

    [Theory]
    [InlineData("2026-11-26T03:25:24Z")]
    [InlineData("2026-11-26T03:25:24.123+00:00")]
    [InlineData("2026-11-26")]
    public void Parse_OtherText_FallsBackToTheGeneralParser(string stored)
    {
        var expected = DateTime.Parse(stored, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal);

        Assert.Equal(expected.Ticks, SqliteTimestampConverter.Parse(stored).Ticks);
    }

    [Theory]
    [InlineData("2026-13-01 00:00:00")]
    [InlineData("2026-02-30 00:00:00")]
    [InlineData("not a date at all")]
    public void Parse_InvalidText_Throws(string stored)
    {
        Assert.Throws<FormatException>(() => SqliteTimestampConverter.Parse(stored));
    }

    [Fact]
    public void Format_WritesMicrosoftDataSqlitesText_AndRoundTrips()
    {
        var value = new DateTime(2026, 11, 26, 3, 25, 24, DateTimeKind.Utc).AddTicks(5908120);

        var stored = SqliteTimestampConverter.Format(value);

        Assert.Equal("2026-11-26 03:25:24.590812", stored);
        Assert.Equal(value, SqliteTimestampConverter.Parse(stored));
        Assert.Equal("2026-01-01 00:00:00", SqliteTimestampConverter.Format(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void Format_KeepsTextOrderEqualToTimeOrder()
    {
        var start = new DateTime(2026, 11, 26, 3, 25, 24, DateTimeKind.Utc);
        var times = Enumerable.Range(0, 200).Select(i => start.AddTicks(i * 4_999_999L)).ToList();

        var byText = times.OrderBy(t => SqliteTimestampConverter.Format(t), StringComparer.Ordinal).ToList();

        Assert.Equal(times, byText);
    }
}
