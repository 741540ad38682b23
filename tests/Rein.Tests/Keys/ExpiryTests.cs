using Rein.Cli.Keys;

namespace Rein.Cli.Tests.Keys;

public sealed class ExpiryTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 15, 12, 30, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("12h", 0.5)]
    [InlineData("30d", 30)]
    [InlineData("2w", 14)]
    [InlineData("1y", 365)]
    [InlineData(" 7d ", 7)]
    public void TryParse_Duration_IsThatFarFromNow(string text, double days)
    {
        Assert.True(Expiry.TryParse(text, Now, out var at, out var error), error);
        Assert.Equal(Now.AddDays(days), at);
    }

    [Fact]
    public void TryParse_Date_IsMidnightUtcOfThatDay()
    {
        Assert.True(Expiry.TryParse("2027-01-01", Now, out var at, out _));
        Assert.Equal(new DateTimeOffset(2027, 1, 1, 0, 0, 0, TimeSpan.Zero), at);
    }

    [Theory]
    [InlineData("2027-01-01T09:00:00+02:00", 7)]
    [InlineData("2027-01-01T09:00:00Z", 9)]
    [InlineData("2027-01-01T09:00", 9)]
    public void TryParse_DateAndTime_KeepsTheOffsetOrAssumesUtc(string text, int utcHour)
    {
        Assert.True(Expiry.TryParse(text, Now, out var at, out var error), error);
        Assert.Equal(new DateTimeOffset(2027, 1, 1, utcHour, 0, 0, TimeSpan.Zero), at.ToUniversalTime());
    }

    [Theory]
    [InlineData("", "not a duration or a date")]
    [InlineData("30", "not a duration or a date")]
    [InlineData("next week", "not a duration or a date")]
    [InlineData("01/02/2027", "not a duration or a date")]
    [InlineData("0d", "not a duration or a date")]
    [InlineData("200y", "more than 100 years")]
    [InlineData("2026-06-15", "in the past")]
    [InlineData("2026-06-15T12:30:00Z", "in the past")]
    public void TryParse_Invalid_SaysWhy(string text, string why)
    {
        Assert.False(Expiry.TryParse(text, Now, out _, out var error));
        Assert.Contains(why, error, StringComparison.Ordinal);
    }
}
