using Rein.Core.Policies;
using static Rein.Core.Tests.Policies.PolicyEvaluatorTests;

namespace Rein.Core.Tests.Policies;

/// <summary>Rules with <c>when</c>, <c>message</c> and <c>rate_limit</c> expressions: matching, fail closed, sequences.</summary>
public sealed class PolicyConditionTests
{
    private static readonly Policy Refunds = Policy("""
          - name: small refunds
            tools: [payments.refund]
            when: args.amount <= 50
            effect: allow
          - name: large refunds go to finance
            tools: [payments.refund]
            when: args.amount > 50
            effect: require_approval
            route: finance
            message: "'refund of ' + string(args.amount) + ' needs finance'"
        """);

    [Fact]
    public void Evaluate_WhenTrue_RuleMatchesWithItsMessage()
    {
        var decision = PolicyEvaluator.Evaluate(Refunds, Input("payments.refund", Map(("amount", 500L))));

        Assert.Equal(Effect.RequireApproval, decision.Effect);
        Assert.Equal("finance", decision.Route);
        Assert.Equal([new DecisionReason("large refunds go to finance", "refund of 500 needs finance")], decision.Reasons);
        Assert.Equal(["large refunds go to finance"], decision.MatchedRules);
    }

    [Fact]
    public void Evaluate_WhenFalse_RuleDoesNotMatch()
    {
        var decision = PolicyEvaluator.Evaluate(Refunds, Input("payments.refund", Map(("amount", 50L))));

        Assert.Equal(Effect.Allow, decision.Effect);
        Assert.Equal(["small refunds"], decision.MatchedRules);
        Assert.Null(decision.Route);
    }

    [Fact]
    public void Evaluate_WhenErrorsOnAMissingKey_FailsClosedEvenThoughAnotherRuleAllows()
    {
        var policy = Policy("""
              - { name: lookups, tools: ["payments.*"], effect: allow }
              - { name: large refunds, tools: [payments.refund], when: args.amount > 50, effect: confirm }
            """, "default: allow");

        var decision = PolicyEvaluator.Evaluate(policy, Input("payments.refund", Map(("currency", "EUR"))));

        Assert.Equal(Effect.Deny, decision.Effect);
        Assert.True(decision.Errored);
        var reason = Assert.Single(decision.Reasons);
        Assert.Equal("large refunds", reason.Rule);
        Assert.StartsWith("evaluation error: ", reason.Message, StringComparison.Ordinal);
        Assert.Contains("amount", reason.Message, StringComparison.Ordinal);
        Assert.Equal(["lookups", "large refunds"], decision.MatchedRules);
    }

    [Fact]
    public void Evaluate_WhenGivesANonBool_FailsClosed()
    {
        var policy = Policy("  - { name: odd, tools: [t], when: args.amount, effect: allow }", "default: allow");

        var decision = PolicyEvaluator.Evaluate(policy, Input("t", Map(("amount", 5L))));

        Assert.Equal(Effect.Deny, decision.Effect);
        Assert.True(decision.Errored);
        Assert.Equal([new DecisionReason("odd", "evaluation error: when gave int, not a bool")], decision.Reasons);
    }

    [Fact]
    public void Evaluate_MessageErrors_FailsClosed()
    {
        var policy = Policy("  - { name: r, tools: [t], effect: allow, message: \"'n=' + args.n\" }", "default: allow");

        var decision = PolicyEvaluator.Evaluate(policy, Input("t", Map(("n", 5L))));

        Assert.Equal(Effect.Deny, decision.Effect);
        Assert.True(decision.Errored);
        Assert.StartsWith("evaluation error: message: ", Assert.Single(decision.Reasons).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_RateLimitKeyErrors_FailsClosed()
    {
        var policy = Policy("  - { name: r, tools: [t], effect: allow, rate_limit: { key: args.customer, limit: 5, per: 1m } }", "default: allow");

        var decision = PolicyEvaluator.Evaluate(policy, Input("t"));

        Assert.Equal(Effect.Deny, decision.Effect);
        Assert.True(decision.Errored);
        Assert.StartsWith("evaluation error: rate_limit key: ", Assert.Single(decision.Reasons).Message, StringComparison.Ordinal);
        Assert.Empty(decision.RateLimits);
    }

    [Fact]
    public void Evaluate_ErroringRuleForAnotherTool_IsNotEvaluated()
    {
        var policy = Policy("""
              - { name: broken, tools: [other], when: args.missing > 1, effect: allow }
              - { name: ok, tools: [t], effect: allow }
            """);

        var decision = PolicyEvaluator.Evaluate(policy, Input("t"));

        Assert.Equal(Effect.Allow, decision.Effect);
        Assert.False(decision.Errored);
    }

    [Fact]
    public void Evaluate_ErrorAbsorbedByOr_IsNoError()
    {
        var policy = Policy("  - { name: r, tools: [t], when: \"args.missing > 1 || true\", effect: confirm }");

        var decision = PolicyEvaluator.Evaluate(policy, Input("t"));

        Assert.Equal(Effect.Confirm, decision.Effect);
        Assert.False(decision.Errored);
    }

    [Fact]
    public void Evaluate_RateLimits_AreObligationsOfEveryMatchingRule()
    {
        var policy = Policy("""
              - name: per customer
                tools: ["payments.*"]
                effect: allow
                rate_limit: { key: "'customer:' + args.customer", limit: 5, per: 1h }
              - name: per amount
                tools: [payments.refund]
                effect: allow
                rate_limit: { key: args.amount, limit: 100, per: 90s }
              - name: other tool
                tools: [email.send]
                effect: allow
                rate_limit: { key: "'x'", limit: 1, per: 1m }
              - name: not this time
                tools: [payments.refund]
                when: args.amount > 1000
                effect: allow
                rate_limit: { key: "'y'", limit: 1, per: 1m }
            """);

        var decision = PolicyEvaluator.Evaluate(policy, Input("payments.refund", Map(("customer", "c42"), ("amount", 12L))));

        Assert.Equal(
        [
            new RateLimitObligation("per customer", "customer:c42", 5, TimeSpan.FromHours(1)),
            new RateLimitObligation("per amount", "12", 100, TimeSpan.FromSeconds(90)),
        ],
            decision.RateLimits);
    }

    [Theory]
    [InlineData("crm.export", Effect.Allow, Effect.Deny)]
    [InlineData("crm.export", Effect.Deny, Effect.Allow)]
    [InlineData("crm.get_customer", Effect.Allow, Effect.Allow)]
    public void Evaluate_RunCalled_SeesEarlierCallsThatWereNotDenied(string earlier, Effect earlierEffect, Effect expected)
    {
        var policy = Policy("""
              - name: no sending after a bulk export
                tools: [email.send]
                when: run.called('crm.export') || size(args.to) > 10
                effect: deny
            """, "default: allow");
        var run = new RunSnapshot { Steps = 1, Calls = [new RecordedCall(earlier, earlierEffect)] };

        var decision = PolicyEvaluator.Evaluate(policy, Input("email.send", Map(("to", new object?[] { "a@example.com" })), run));

        Assert.Equal(expected, decision.Effect);
    }

    [Fact]
    public void Evaluate_RunCalled_TakesAGlob()
    {
        var policy = Policy("  - { name: r, tools: [email.send], when: \"run.called('crm.export*')\", effect: deny }", "default: allow");
        var run = new RunSnapshot { Calls = [new RecordedCall("kb.search", Effect.Allow), new RecordedCall("crm.export_all", Effect.Confirm)] };

        Assert.Equal(Effect.Deny, PolicyEvaluator.Evaluate(policy, Input("email.send", run: run)).Effect);
        Assert.Equal(Effect.Allow, PolicyEvaluator.Evaluate(policy, Input("email.send")).Effect);
    }

    [Theory]
    [InlineData("run.steps == 3")]
    [InlineData("size(run.calls) == 2 && run.calls[1].tool == 'crm.export' && run.calls[1].effect == 'confirm'")]
    [InlineData("run.tool_calls['crm.export'] == 1")]
    [InlineData("run.identical_calls == 1")]
    [InlineData("run.cost == 1.5")]
    [InlineData("run.duration == duration('10m')")]
    [InlineData("run.depth == 2")]
    [InlineData("run.untrusted")]
    [InlineData("agent.name == 'support-bot' && agent.release == 'v3'")]
    [InlineData("tool.name == 't' && tool.server == 'srv'")]
    [InlineData("principal.id == 'u1' && 'admin' in principal.roles && principal.attributes.level == 3")]
    [InlineData("context.confidence < 0.95")]
    [InlineData("now == timestamp('2026-01-01T00:00:00Z')")]
    [InlineData("args == {}")]
    [InlineData("!has(args.amount)")]
    public void Evaluate_Variables_HoldTheInputAndTheRun(string when)
    {
        var policy = Policy($"  - {{ name: r, tools: [t], when: \"{when}\", effect: allow }}");
        var input = Input("t") with
        {
            Release = "v3",
            Server = "srv",
            PrincipalId = "u1",
            PrincipalRoles = ["support", "admin"],
            PrincipalAttributes = Map(("level", 3L)),
            Context = Map(("confidence", 0.9)),
            Run = new RunSnapshot
            {
                Steps = 3,
                Calls = [new RecordedCall("kb.search", Effect.Allow), new RecordedCall("crm.export", Effect.Confirm)],
                ToolCalls = new Dictionary<string, int> { ["crm.export"] = 1 },
                IdenticalCalls = 1,
                CostUsd = 1.5m,
                Duration = TimeSpan.FromMinutes(10),
                Depth = 2,
                Untrusted = true,
            },
        };

        var decision = PolicyEvaluator.Evaluate(policy, input);

        Assert.Equal(Effect.Allow, decision.Effect);
        Assert.False(decision.Errored, string.Join("; ", decision.Reasons));
    }

    [Fact]
    public void Evaluate_RunUntrusted_FalseUnlessTheRunReadFlaggedContent()
    {
        var policy = Policy("  - { name: outbound after untrusted, tools: [email.send], when: run.untrusted, effect: require_approval }");
        Assert.Equal(Effect.Deny, PolicyEvaluator.Evaluate(policy, Input("email.send")).Effect);
        var untrusted = Input("email.send") with { Run = new RunSnapshot { Untrusted = true } };
        Assert.Equal(Effect.RequireApproval, PolicyEvaluator.Evaluate(policy, untrusted).Effect);
    }

    [Fact]
    public void Evaluate_UnknownCost_IsZeroInExpressions()
    {
        var policy = Policy("  - { name: r, tools: [t], when: run.cost == 0.0, effect: allow }");

        Assert.Equal(Effect.Allow, PolicyEvaluator.Evaluate(policy, Input("t")).Effect);
        Assert.True(policy.NeedsRunCost);
    }

    [Fact]
    public void Parse_NeedsRunCost_OnlyWhenCostIsRead()
    {
        Assert.False(Policy("  - { name: r, tools: [t], when: run.steps > 1, effect: allow }").NeedsRunCost);
        Assert.True(Policy("  - { name: r, tools: [t], when: run.cost > 1.0, effect: allow }").NeedsRunCost);
        Assert.True(Policy("  - { name: r, tools: [t], message: \"'cost ' + string(run.cost)\", effect: allow }").NeedsRunCost);
        Assert.True(Policy("  - { name: r, tools: [t], effect: allow }", "default: deny\nbudgets: { max_cost_usd: 1 }").NeedsRunCost);
    }

    [Fact]
    public void Parse_ExpressionProblems_AreAtTheirPositionInTheFile()
    {
        var problems = PolicyParserTests.Problems("""
            name: p
            agents: [a]
            default: deny
            rules:
              - name: r
                tools: [t]
                when: args.amount > 50 &&
                effect: deny
                message: "'x' + foo"
                rate_limit: { key: 'undefined_name', limit: 1, per: 1m }
              - name: s
                tools: [t]
                when: |
                  args.a > 1 &&
                    bar(1)
                effect: deny
            """);

        Assert.Equal(
        [
            "7:30: 'when' in rule 'r': unexpected end of expression",
            "9:21: 'message' in rule 'r': unknown name 'foo'; known names are agent, tool, args, principal, context, run, now",
            "10:25: 'key' in rate_limit of rule 'r': unknown name 'undefined_name'; known names are agent, tool, args, principal, context, run, now",
            "15:9: 'when' in rule 's': unknown function 'bar'",
        ],
            problems.Select(p => $"{p.Line}:{p.Column}: {p.Message}"));
    }

    [Fact]
    public void Parse_ExpressionLimits_ApplyToEveryExpression()
    {
        var source = "name: p\nagents: [a]\ndefault: deny\nrules: [{ name: r, tools: [t], when: args.amount > 50, effect: deny }]\n";
        var limits = new PolicyLimits { Expressions = new Rein.Core.Expressions.ExpressionLimits { MaxSourceLength = 10 } };

        Assert.NotNull(PolicyParser.Parse(source));
        var problem = Assert.Single(PolicyParserTests.Problems(source, limits));
        Assert.Equal((4, 38), (problem.Line, problem.Column));
        Assert.StartsWith("'when' in rule 'r': ", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ExpressionThatIsNotText_IsAProblem()
    {
        var problem = Assert.Single(PolicyParserTests.Problems(
            "name: p\nagents: [a]\ndefault: deny\nrules: [{ name: r, tools: [t], when: [a, b], effect: deny }]\n"));

        Assert.Equal("'when' in rule 'r' must be an expression, not a list", problem.Message);
    }

    [Fact]
    public void Parse_CalledWithWrongArity_IsAProblem()
    {
        var problem = Assert.Single(PolicyParserTests.Problems(
            "name: p\nagents: [a]\ndefault: deny\nrules: [{ name: r, tools: [t], when: \"run.called()\", effect: deny }]\n"));

        Assert.Equal(4, problem.Line);
        Assert.Contains("called", problem.Message, StringComparison.Ordinal);
    }
}
