using Rein.Cli.Gate;
using Rein.Client;

namespace Rein.Cli.Tests.Gate;

public sealed class GateTextTests
{
    [Theory]
    [InlineData(GateEffect.Allow, 0)]
    [InlineData(GateEffect.Deny, 3)]
    [InlineData(GateEffect.Confirm, 4)]
    [InlineData(GateEffect.RequireApproval, 4)]
    public void ExitCode_Effect_IsTheDocumentedCode(GateEffect effect, int expected)
    {
        Assert.Equal(expected, GateText.ExitCode(effect));
    }

    [Fact]
    public void TryParseObject_Object_ParsesIt()
    {
        Assert.True(GateText.TryParseObject("""{"amount": 500, "to": ["a"]}""", out var value, out _));
        Assert.Equal("""{"amount":500,"to":["a"]}""", value!.ToJsonString());
    }

    [Theory]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("500", "expected a JSON object")]
    [InlineData("{", "not JSON at character 2")]
    [InlineData("{amount: 5}", "not JSON at character 2")]
    [InlineData("", "not JSON")]
    public void TryParseObject_NotAnObject_SaysWhy(string text, string expected)
    {
        Assert.False(GateText.TryParseObject(text, out var value, out var error));
        Assert.Null(value);
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Details_RequireApprovalWithObligationsAndShadow_ListsEachOnItsOwnLine()
    {
        var lines = GateText.Details(
            "d-1",
            new PolicyReference("refunds", 3, "sha256:x"),
            "enforce",
            [new DecisionReason("large refunds", "refund of 500 needs finance")],
            "finance",
            new DecisionObligations(["args.card"], [new DecisionRateLimit("per user", "u-1", 5, "1m")]),
            [new ShadowDecision("refunds-next", 4, "audit", GateEffect.Deny, ["strict"])]);

        Assert.Equal(
            [
                "  decision    d-1",
                "  policy      refunds version 3 (enforce)",
                "  reason      large refunds: refund of 500 needs finance",
                "  route       finance",
                "  redact      args.card",
                "  rate limit  u-1: at most 5 per 1m (rule per user)",
                "  shadow      refunds-next version 4 (audit) would deny (rules strict)",
            ],
            lines);
    }

    [Fact]
    public void Details_KillSwitch_SaysNoPolicyDecided()
    {
        var lines = GateText.Details("d-2", null, null, [new DecisionReason("kill.tool", "tool refund is killed")], null, null, null);

        Assert.Equal("  policy      none (a kill switch or no active policy decided)", lines[1]);
    }

    [Theory]
    [InlineData(0L, "0µs")]
    [InlineData(999L, "999µs")]
    [InlineData(1500L, "1.5ms")]
    public void Latency_Microseconds_ReadsInTheRightUnit(long us, string expected)
    {
        Assert.Equal(expected, GateText.Latency(us));
    }
}
