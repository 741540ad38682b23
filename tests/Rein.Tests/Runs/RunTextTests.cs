using Rein.Cli.Runs;
using Rein.Client;

namespace Rein.Cli.Tests.Runs;

public sealed class RunTextTests
{
    [Theory]
    [InlineData(0, "0ms")]
    [InlineData(0.4, "<1ms")]
    [InlineData(450, "450ms")]
    [InlineData(1500, "1.50s")]
    [InlineData(125_000, "2m05s")]
    [InlineData(7_500_000, "2h05m")]
    public void Duration_Milliseconds_ReadsInTheLargestUsefulUnit(double milliseconds, string expected) =>
        Assert.Equal(expected, RunText.Duration(milliseconds));

    [Theory]
    [InlineData(null, "?")]
    [InlineData("0", "$0")]
    [InlineData("0.000075", "$0.000075")]
    [InlineData("12.5", "$12.50")]
    public void Cost_UnknownOrDollars_IsQuestionMarkOrDollars(string? cost, string expected) =>
        Assert.Equal(expected, RunText.Cost(cost is null ? null : decimal.Parse(cost, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public void TailLine_RunWithAViolation_SaysSoBesideItsErrors()
    {
        var run = new Run(
            "4bf92f3577b34da6a3ce929d0e0e4736", "default", "invoke_agent support", "support", null, null, null, "success",
            DateTimeOffset.UnixEpoch, 2, 3, 2, 1, 0, new RunTokens(10, 2, 0, 0), 0m, 0, 0, Violations: 1);

        Assert.EndsWith("  1 violation", RunText.TailLine(run), StringComparison.Ordinal);
        Assert.DoesNotContain("error", RunText.TailLine(run), StringComparison.Ordinal);
    }

    [Fact]
    public void Clean_TerminalEscapeInAName_IsShownNotObeyed()
    {
        Assert.Equal("evil\\u001b[2Jname\\u000d", RunText.Clean("evil\u001b[2Jname\r"));
    }

    [Fact]
    public void Clean_NameLongerThanTheBound_IsCut()
    {
        var cleaned = RunText.Clean(new string('x', 500));

        Assert.Equal(RunText.MaxNameLength + 3, cleaned.Length);
        Assert.EndsWith("...", cleaned, StringComparison.Ordinal);
    }
}
