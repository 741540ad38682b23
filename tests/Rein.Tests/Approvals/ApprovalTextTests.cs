using System.Text.Json;
using Rein.Cli.Approvals;
using Rein.Client;

namespace Rein.Cli.Tests.Approvals;

public sealed class ApprovalTextTests
{
    private static Approval Request(string status = ApprovalStatuses.Pending, string? outcome = null) => new()
    {
        Id = "apr_01jf3m8q2z7x9k4w5v6t8r1n0p",
        Status = status,
        Outcome = outcome,
        Queue = "finance",
        Severity = ApprovalSeverities.High,
        CreatedAt = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero),
        ExpiresAt = new DateTimeOffset(2026, 11, 22, 12, 15, 0, TimeSpan.Zero),
        DecisionId = "dec_1",
        Agent = "support-bot",
        RunId = "4bf92f3577b34da6a3ce929d0e0e4736",
        Tool = "payments.refund",
        Policy = new PolicyReference("refunds", 3, "sha256:9f2c"),
        Rule = "large refunds go to finance",
        Message = "refund of 500 needs finance",
        ArgsHash = "sha256:51ab",
        Evidence = new ApprovalEvidence(
            Json("""{"amount":500,"card":"[REDACTED]"}"""),
            Json("""{"reason":"double charged"}"""),
            new ApprovalRunEvidence([new ApprovalRunStep("chat gpt-4o", "llm", "ok", 1200, 0.00975m), new ApprovalRunStep("crm.get_orders", "tool", "error", 310, null)], 0.00975m, 5210, 6),
            Json("\"double charged\"")),
    };

    private static JsonElement Json(string text)
    {
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    [Theory]
    [InlineData(ApprovalStatuses.Approved, 0)]
    [InlineData(ApprovalStatuses.Rejected, 3)]
    [InlineData(ApprovalStatuses.Expired, 3)]
    [InlineData(ApprovalStatuses.Pending, 4)]
    [InlineData("withdrawn", 1)]
    public void WaitExitCode_Status_IsTheDocumentedCode(string status, int expected)
    {
        Assert.Equal(expected, ApprovalText.WaitExitCode(Request(status)));
    }

    [Fact]
    public void TryParseQueues_CommaSeparated_TrimsEachName()
    {
        Assert.True(ApprovalText.TryParseQueues("finance, ops ,eu/refunds", out var queues, out _));
        Assert.Equal(["finance", "ops", "eu/refunds"], queues);
    }

    [Theory]
    [InlineData("finance,,ops", "'finance,,ops' has an empty queue name")]
    [InlineData("", "'' has an empty queue name")]
    [InlineData("finance,finance", "'finance' is listed twice")]
    public void TryParseQueues_EmptyOrRepeatedName_SaysWhich(string text, string expected)
    {
        Assert.False(ApprovalText.TryParseQueues(text, out _, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Headline_Modified_ShowsTheOutcome()
    {
        Assert.Equal("modified: payments.refund for agent support-bot (apr_01jf3m8q2z7x9k4w5v6t8r1n0p)", ApprovalText.Headline(Request(ApprovalStatuses.Approved, ApprovalOutcomes.Modified)));
        Assert.Equal("pending: payments.refund for agent support-bot (apr_01jf3m8q2z7x9k4w5v6t8r1n0p)", ApprovalText.Headline(Request()));
    }

    [Fact]
    public void Details_Pending_SaysWhereItWaitsWhyAndUntilWhen()
    {
        Assert.Equal(
            [
                "  queue       finance (severity high)",
                "  rule        large refunds go to finance: refund of 500 needs finance",
                "  policy      refunds version 3",
                "  decision    dec_1",
                "  run         4bf92f3577b34da6a3ce929d0e0e4736",
                "  created     2026-11-22 12:00:00Z",
                "  expires     2026-11-22 12:15:00Z",
                "  agent says  double charged",
            ],
            ApprovalText.Details(Request()));
    }

    [Fact]
    public void Details_ApprovedForAnAgentKey_ShowsWhoDecidedTheNoteAndTheToken()
    {
        var approved = Request(ApprovalStatuses.Approved, ApprovalOutcomes.Approved) with
        {
            DecidedAt = new DateTimeOffset(2026, 11, 22, 12, 3, 0, TimeSpan.Zero),
            DecidedBy = "k3x9q2m7v1ab",
            DecidedByName = "ann",
            Note = "ok\u001b[31m",
            Token = "rat_AAAA",
            TokenExpiresAt = new DateTimeOffset(2026, 11, 22, 12, 13, 0, TimeSpan.Zero),
        };

        var lines = ApprovalText.Details(approved);

        Assert.Contains("  decided     2026-11-22 12:03:00Z by ann (key k3x9q2m7v1ab)", lines);
        Assert.Contains("  note        ok\\u001b[31m", lines);
        Assert.Contains("  token       rat_AAAA (single use, until 2026-11-22 12:13:00Z)", lines);
        Assert.Contains("  expiry      2026-11-22 12:15:00Z", lines);
    }

    [Fact]
    public void Details_Expired_SaysNobodyDecided()
    {
        var expired = Request(ApprovalStatuses.Expired, ApprovalOutcomes.Expired) with { DecidedAt = new DateTimeOffset(2026, 11, 22, 12, 15, 1, TimeSpan.Zero) };

        Assert.Contains("  decided     2026-11-22 12:15:01Z (nobody decided in time)", ApprovalText.Details(expired));
    }

    [Fact]
    public void Evidence_ModifiedRequest_ShowsArgumentsApprovedArgumentsContextAndTheRun()
    {
        var modified = Request(ApprovalStatuses.Approved, ApprovalOutcomes.Modified) with { ApprovedArgs = Json("""{"amount":200}""") };

        var lines = ApprovalText.Evidence(modified);

        var text = string.Join("\n", lines);
        Assert.Contains("arguments (after redaction):\n  {\n    \"amount\": 500,\n    \"card\": \"[REDACTED]\"\n  }", text, StringComparison.Ordinal);
        Assert.Contains("approved arguments (modified):\n  {\n    \"amount\": 200\n  }", text, StringComparison.Ordinal);
        Assert.Contains("context:\n  {\n    \"reason\": \"double charged\"\n  }", text, StringComparison.Ordinal);
        Assert.Contains("run so far: 6 steps, 5.21s, $0.00975 (the last 2 below)", lines);
        Assert.Contains("  llm    chat gpt-4o  1.20s  ok  $0.00975", lines);
        Assert.Contains("  tool   crm.get_orders  310ms  error", lines);
    }

    [Fact]
    public void ApprovedArguments_AsProposed_IsEmpty()
    {
        Assert.Empty(ApprovalText.ApprovedArguments(Request(ApprovalStatuses.Approved, ApprovalOutcomes.Approved) with { ApprovedArgs = Json("""{"amount":500}""") }));
    }
}
