using Rein.Cli.Runs;

namespace Rein.Cli.Tests.Runs;

public sealed class TimeArgumentsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("90s", "2026-11-22T11:58:30Z")]
    [InlineData("15m", "2026-11-22T11:45:00Z")]
    [InlineData("1h", "2026-11-22T11:00:00Z")]
    [InlineData("2d", "2026-11-20T12:00:00Z")]
    [InlineData("1w", "2026-11-15T12:00:00Z")]
    [InlineData("2026-11-01", "2026-11-01T00:00:00Z")]
    [InlineData("2026-11-01T09:00:00+02:00", "2026-11-01T07:00:00Z")]
    [InlineData("2026-11-01T09:00", "2026-11-01T09:00:00Z")]
    public void TryParsePoint_DurationOrTime_IsThatPoint(string text, string expected)
    {
        Assert.True(TimeArguments.TryParsePoint(text, Now, out var at, out var error), error);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), at);
    }

    [Theory]
    [InlineData("yesterday", "is not a duration or a time")]
    [InlineData("0h", "is not a duration or a time")]
    [InlineData("999999w", "years back")]
    [InlineData("9999999w", "is not a duration or a time")]
    public void TryParsePoint_Nonsense_SaysWhy(string text, string expected)
    {
        Assert.False(TimeArguments.TryParsePoint(text, Now, out _, out var error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("2s", 2000)]
    [InlineData("1m", 60_000)]
    public void TryParseDuration_WithUnit_IsThatLong(string text, int milliseconds)
    {
        Assert.True(TimeArguments.TryParseDuration(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("-1s")]
    [InlineData("1.5s")]
    [InlineData("0s")]
    public void TryParseDuration_WithoutAPositiveWholeNumberAndUnit_Fails(string text)
    {
        Assert.False(TimeArguments.TryParseDuration(text, out _));
    }

    [Theory]
    [InlineData("30m", 30 * 60)]
    [InlineData(" 24h ", 24 * 3600)]
    [InlineData("7d", 7 * 86400)]
    [InlineData("1w", 7 * 86400)]
    [InlineData("90s", 90)]
    public void TryParseDuration_InRange_ParsesIt(string text, int seconds)
    {
        Assert.True(TimeArguments.TryParseDuration("--since", text, TimeSpan.FromSeconds(1), TimeSpan.FromDays(7), out var value, out _));
        Assert.Equal(TimeSpan.FromSeconds(seconds), value);
    }

    [Theory]
    [InlineData("abc", "--expiry: 'abc' is not a duration: use a duration such as 500ms, 90s, 15m, 1h, 2d, 1w or 1y")]
    [InlineData("30", "--expiry: '30' is not a duration")]
    [InlineData("500ms", "--expiry: '500ms' is out of range: use a duration from 1m to 7d")]
    [InlineData("", "--expiry: '' is not a duration")]
    [InlineData("30s", "--expiry: '30s' is out of range: use a duration from 1m to 7d")]
    [InlineData("8d", "--expiry: '8d' is out of range: use a duration from 1m to 7d")]
    public void TryParseDuration_NotADurationOrOutOfRange_NamesTheOptionAndTheRange(string text, string expected)
    {
        Assert.False(TimeArguments.TryParseDuration("--expiry", text, TimeSpan.FromMinutes(1), TimeSpan.FromDays(7), out _, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(30 * 60_000L, "30m")]
    [InlineData(24 * 3_600_000L, "24h")]
    [InlineData(48 * 3_600_000L, "2d")]
    [InlineData(366 * 86_400_000L, "366d")]
    [InlineData(90_000L, "90s")]
    [InlineData(1500L, "1500ms")]
    public void Describe_Duration_UsesTheLargestWholeUnit(long milliseconds, string expected)
    {
        Assert.Equal(expected, TimeArguments.Describe(TimeSpan.FromMilliseconds(milliseconds)));
    }

    /// <summary>One grammar: what one time option takes, every other takes (each only bounds it); --expires 2s was
    /// refused while --since 90s was accepted.</summary>
    [Theory]
    [InlineData("500ms")]
    [InlineData("2s")]
    [InlineData("90s")]
    [InlineData("15m")]
    [InlineData("1h")]
    [InlineData("2d")]
    [InlineData("1w")]
    [InlineData("1y")]
    public void EveryTimeOption_TakesTheSameDurations(string text)
    {
        Assert.True(TimeArguments.TryParseDuration(text, out var duration));
        Assert.True(TimeArguments.TryParsePoint(text, Now, out var since, out var error), error);
        Assert.Equal(Now - duration, since);
        Assert.True(Rein.Cli.Keys.Expiry.TryParse(text, Now, out var expires, out error), error);
        Assert.Equal(Now + duration, expires);
    }

    [Theory]
    [InlineData("2")]
    [InlineData("1.5s")]
    [InlineData("0s")]
    [InlineData("-1s")]
    [InlineData("1 h")]
    [InlineData("2sec")]
    [InlineData("999999y")]
    public void EveryTimeOption_RefusesTheSameNonDurations(string text)
    {
        Assert.False(TimeArguments.TryParseDuration(text, out _));
        Assert.False(TimeArguments.TryParsePoint(text, Now, out _, out _));
        Assert.False(Rein.Cli.Keys.Expiry.TryParse(text, Now, out _, out _));
    }
}
