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
    [InlineData("500ms", "is not a duration or a time")]
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
}
