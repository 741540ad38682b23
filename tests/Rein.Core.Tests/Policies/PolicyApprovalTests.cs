using Rein.Core.Policies;
using static Rein.Core.Tests.Policies.PolicyEvaluatorTests;

namespace Rein.Core.Tests.Policies;

/// <summary>What a policy says about the approvals it asks for: each rule's severity and the policy's approval expiry.</summary>
public sealed class PolicyApprovalTests
{
    private static PolicyProblem Problem(string source) =>
        Assert.Single(Assert.Throws<PolicyException>(() => PolicyParser.Parse(source, "p.yaml")).Problems);

    private static string WithExpiry(string expiry) => $"""
        name: p
        agents: ["*"]
        default: deny
        approval_expiry: {expiry}
        rules: []
        """;

    [Fact]
    public void Parse_SeverityAndApprovalExpiry_AreRead()
    {
        var policy = PolicyParser.Parse("""
            name: refunds
            agents: ["*"]
            default: deny
            approval_expiry: 30m
            rules:
              - name: large refunds
                tools: [payments.refund]
                effect: require_approval
                route: finance
                severity: critical
              - name: lookups
                tools: [kb.search]
                effect: allow
            """);

        Assert.Equal(TimeSpan.FromMinutes(30), policy.ApprovalExpiry);
        Assert.Equal(Severity.Critical, policy.Rules[0].Severity);
        Assert.Null(policy.Rules[1].Severity);
    }

    [Fact]
    public void Parse_NoApprovalExpiry_IsNullSoTheQueueOrServerDecides()
    {
        Assert.Null(PolicyParser.Parse("name: p\nagents: [\"*\"]\ndefault: deny\nrules: []\n").ApprovalExpiry);
    }

    [Theory]
    [InlineData("1m", 1)]
    [InlineData("1h30m", 90)]
    [InlineData("168h", 7 * 24 * 60)]
    public void Parse_ApprovalExpiryWithinTheBound_IsAccepted(string text, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), PolicyParser.Parse(WithExpiry(text)).ApprovalExpiry);
    }

    [Theory]
    [InlineData("59s")]
    [InlineData("168h1s")]
    [InlineData("0s")]
    [InlineData("soon")]
    [InlineData("7d")]
    [InlineData("[30m]")]
    public void Parse_ApprovalExpiryOutsideTheBoundOrNotADuration_IsAProblemAtItsPosition(string text)
    {
        var problem = Problem(WithExpiry(text));
        Assert.Equal((4, 18), (problem.Line, problem.Column));
        Assert.StartsWith("'approval_expiry' must be a duration between 1m and 168h (7 days)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownSeverity_IsAProblemNamingTheRuleAndTheChoices()
    {
        var problem = Problem("""
            name: p
            agents: ["*"]
            default: deny
            rules:
              - name: refunds
                tools: [payments.refund]
                effect: require_approval
                severity: urgent
            """);
        Assert.Equal(
            new PolicyProblem("p.yaml", 8, 15, "unknown severity 'urgent' for 'severity' in rule 'refunds'; expected one of low, medium, high, critical"),
            problem);
    }

    [Fact]
    public void Evaluate_Severity_IsTheHighestAmongTheDecidingRules()
    {
        var policy = Policy("""
              - { name: low, tools: [payments.refund], effect: require_approval, severity: low }
              - { name: high, tools: [payments.refund], effect: require_approval, severity: high }
              - { name: critical but only confirm, tools: [payments.refund], effect: confirm, severity: critical }
            """);

        var decision = PolicyEvaluator.Evaluate(policy, Input("payments.refund"));

        Assert.Equal(Effect.RequireApproval, decision.Effect);
        Assert.Equal(Severity.High, decision.Severity);
    }

    [Fact]
    public void Evaluate_RuleWithoutSeverity_IsMedium()
    {
        var policy = Policy("  - { name: refunds, tools: [payments.refund], effect: require_approval }");
        Assert.Equal(Severity.Medium, PolicyEvaluator.Evaluate(policy, Input("payments.refund")).Severity);
    }

    [Fact]
    public void Evaluate_BudgetOverrunAskingForApproval_IsHigh()
    {
        var policy = Policy(
            "  - { name: anything, tools: [\"*\"], effect: allow, severity: low }",
            "default: deny\nbudgets: { max_steps: 2, on_exceed: require_approval }");

        var decision = PolicyEvaluator.Evaluate(policy, Input("kb.search", run: new RunSnapshot { Steps = 2 }));

        Assert.Equal(Effect.RequireApproval, decision.Effect);
        Assert.Equal("budget.max_steps", decision.Reasons[0].Rule);
        Assert.Equal(Severity.High, decision.Severity);
    }

    [Theory]
    [InlineData(Severity.Low, "low")]
    [InlineData(Severity.Medium, "medium")]
    [InlineData(Severity.High, "high")]
    [InlineData(Severity.Critical, "critical")]
    public void SeverityNames_RoundTrip(Severity severity, string name)
    {
        Assert.Equal(name, severity.ToName());
        Assert.True(PolicyNames.TryParseSeverity(name, out var parsed));
        Assert.Equal(severity, parsed);
        Assert.False(PolicyNames.TryParseSeverity(name.ToUpperInvariant(), out _));
    }
}
