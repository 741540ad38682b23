using Rein.Server.Dashboard;

namespace Rein.Server.Tests.Dashboard;

public sealed class FormatTests
{
    [Theory]
    [InlineData(0.25, "0.25 ms")]
    [InlineData(850, "850 ms")]
    [InlineData(1_234, "1.23 s")]
    [InlineData(125_000, "2 min 05 s")]
    [InlineData(7_380_000, "2 h 03 min")]
    public void Duration_ByMagnitude_ReadableUnit(double ms, string expected) => Assert.Equal(expected, Format.Duration(ms));

    [Fact]
    public void Cost_Unknown_SaysUnknownNotZero()
    {
        Assert.Equal("unknown", Format.Cost(null));
        Assert.Equal("$0", Format.Cost(0m));
        Assert.Equal("$0.00042", Format.Cost(0.00042m));
        Assert.Equal("$1,234.50", Format.Cost(1234.5m));
    }

    [Theory]
    [InlineData(1, "1 secret")]
    [InlineData(0, "0 secrets")]
    [InlineData(2, "2 secrets")]
    [InlineData(12_345, "12,345 secrets")]
    public void Plural_OneIsSingular(long count, string expected) => Assert.Equal(expected, Format.Plural(count, "secret"));
}
