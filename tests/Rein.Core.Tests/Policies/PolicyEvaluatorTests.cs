using Rein.Core.Policies;

namespace Rein.Core.Tests.Policies;

public sealed class PolicyEvaluatorTests
{
    internal static Policy Policy(string rules, string header = "default: deny") =>
        PolicyParser.Parse($"name: p\nagents: [\"*\"]\n{header}\nrules:\n{rules}\n");

    internal static GateInput Input(string tool, object? args = null, RunSnapshot? run = null) => new()
    {
        Agent = "support-bot",
        Tool = tool,
        Args = args,
        Run = run ?? RunSnapshot.Empty,
        Now = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
    };

    internal static Dictionary<string, object?> Map(params (string Key, object? Value)[] entries) =>
        entries.ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);

    [Fact]
    public void Evaluate_NoRuleMatches_GivesTheDefaultWithReasonDefault()
    {
        var policy = Policy("  - { name: lookups, tools: [kb.search], effect: allow }", "default: confirm");

        var decision = PolicyEvaluator.Evaluate(policy, Input("payments.refund"));

        Assert.Equal(Effect.Confirm, decision.Effect);
        Assert.Equal([new DecisionReason("default", "no rule matched; default confirm")], decision.Reasons);
        Assert.Empty(decision.MatchedRules);
        Assert.False(decision.Errored);
    }

    [Theory]
    [InlineData("deny")]
    [InlineData("allow")]
    public void Evaluate_RuleMatches_DefaultIsNotUsedEvenWhenMoreRestrictive(string defaultEffect)
    {
        var policy = Policy("  - { name: lookups, tools: [kb.search], effect: confirm }", "default: " + defaultEffect);

        var decision = PolicyEvaluator.Evaluate(policy, Input("kb.search"));

        Assert.Equal(Effect.Confirm, decision.Effect);
        Assert.Equal([new DecisionReason("lookups", "rule lookups matched")], decision.Reasons);
        Assert.Equal(["lookups"], decision.MatchedRules);
    }

    [Theory]
    [InlineData("allow", "confirm", Effect.Confirm)]
    [InlineData("confirm", "require_approval", Effect.RequireApproval)]
    [InlineData("require_approval", "deny", Effect.Deny)]
    [InlineData("deny", "allow", Effect.Deny)]
    [InlineData("allow", "allow", Effect.Allow)]
    public void Evaluate_TwoRulesMatch_MostRestrictiveWins(string first, string second, Effect expected)
    {
        var policy = Policy($$"""
              - { name: first, tools: ["payments.*"], effect: {{first}} }
              - { name: second, tools: [payments.refund], effect: {{second}} }
            """, "default: allow");

        var decision = PolicyEvaluator.Evaluate(policy, Input("payments.refund"));

        Assert.Equal(expected, decision.Effect);
        Assert.Equal(["first", "second"], decision.MatchedRules);
        var deciding = new[] { ("first", first), ("second", second) }.Where(r => r.Item2 == expected.ToName()).Select(r => r.Item1);
        Assert.Equal(deciding, decision.Reasons.Select(r => r.Rule));
    }

    [Fact]
    public void Evaluate_ToolGlobs_MatchExactPrefixSuffixAndGeneral()
    {
        var policy = Policy("""
              - { name: exact, tools: [kb.search], effect: allow }
              - { name: prefix, tools: ["crm.get_*"], effect: allow }
              - { name: suffix, tools: ["*.delete"], effect: deny }
              - { name: general, tools: ["db.?.drop*"], effect: deny }
              - { name: any, tools: ["*"], effect: allow }
            """);

        string[] Matched(string tool) => [.. PolicyEvaluator.Evaluate(policy, Input(tool)).MatchedRules];

        Assert.Equal(["exact", "any"], Matched("kb.search"));
        Assert.Equal(["prefix", "any"], Matched("crm.get_customer"));
        Assert.Equal(["prefix", "any"], Matched("crm.get_"));
        Assert.Equal(["suffix", "any"], Matched("crm.delete"));
        Assert.Equal(["general", "any"], Matched("db.a.drop_table"));
        Assert.Equal(["any"], Matched("db.ab.drop"));
        Assert.Equal(["any"], Matched("KB.SEARCH"));
        Assert.Equal(["any"], Matched("kb.search2"));
    }

    [Fact]
    public void Evaluate_Route_ComesFromTheFirstDecidingRuleWithARoute()
    {
        var policy = Policy("""
              - { name: cheap, tools: [payments.refund], effect: confirm, route: support }
              - { name: plain, tools: [payments.refund], effect: require_approval }
              - { name: finance, tools: [payments.refund], effect: require_approval, route: finance }
              - { name: legal, tools: [payments.refund], effect: require_approval, route: legal }
            """);

        var decision = PolicyEvaluator.Evaluate(policy, Input("payments.refund"));

        Assert.Equal(Effect.RequireApproval, decision.Effect);
        Assert.Equal("finance", decision.Route);
        Assert.Equal(["plain", "finance", "legal"], decision.Reasons.Select(r => r.Rule));
    }

    [Fact]
    public void Evaluate_Redact_IsTheUnionOfAllMatchingRules()
    {
        var policy = Policy("""
              - { name: a, tools: ["payments.*"], effect: allow, redact: [args.card.number, args.iban] }
              - { name: b, tools: [payments.refund], effect: deny, redact: [args.iban, args.cvv] }
              - { name: c, tools: [other], effect: deny, redact: [args.secret] }
            """);

        var decision = PolicyEvaluator.Evaluate(policy, Input("payments.refund"));

        Assert.Equal(["args.card.number", "args.iban", "args.cvv"], decision.Redact);
    }

    [Fact]
    public void Evaluate_NullRunAndTool_AreTreatedAsEmpty()
    {
        var policy = Policy("  - { name: a, tools: [\"*\"], effect: allow }", "default: deny\nbudgets: { max_steps: 1 }");

        var decision = PolicyEvaluator.Evaluate(policy, Input("x") with { Run = null!, Tool = null! });

        Assert.Equal(Effect.Allow, decision.Effect);
    }

    [Fact]
    public void Evaluate_PolicyMadeWithoutTheParser_IsEvaluated()
    {
        var policy = new Policy
        {
            Name = "made",
            Agents = ["bot-*"],
            Default = Effect.Deny,
            Rules = [new PolicyRule { Name = "r", Tools = ["kb.*"], Effect = Effect.Allow }],
            Source = "",
            Hash = "",
        };

        Assert.Equal(Effect.Allow, PolicyEvaluator.Evaluate(policy, Input("kb.search")).Effect);
        Assert.Equal(Effect.Deny, PolicyEvaluator.Evaluate(policy, Input("crm.get")).Effect);
        Assert.True(policy.BindsAgent("bot-1"));
        Assert.False(policy.BindsAgent("other"));
    }

    [Fact]
    public void Evaluate_BrokenRunSnapshot_FailsClosedWithoutThrowing()
    {
        var policy = Policy("  - { name: r, tools: [t], when: \"!run.called('x')\", effect: allow }", "default: allow\nbudgets: { max_calls_per_tool: { t: 5 } }");
        var broken = new RunSnapshot { Calls = null!, ToolCalls = null! };

        var decision = PolicyEvaluator.Evaluate(policy, Input("t", run: broken));

        Assert.Equal(Effect.Deny, decision.Effect);
        Assert.True(decision.Errored);
        Assert.All(decision.Reasons, r => Assert.StartsWith("evaluation error: ", r.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void Evaluate_RandomArguments_NeverThrow()
    {
        var policy = PolicyParser.Parse(File.ReadAllText(Path.Combine(PolicyTestsTests.RepositoryRoot(), "examples", "policies", "support-bot.yaml")));
        var tools = new[] { "payments.refund", "email.send", "crm.get_customer", "crm.export", "db.delete", "x" };
        var random = new Random(5);
        object? Value(int depth) => random.Next(depth > 2 ? 6 : 8) switch
        {
            0 => null,
            1 => random.Next(2) == 0,
            2 => (long)random.Next(-100, 10_000),
            3 => random.NextDouble() * 100,
            4 => "s" + random.Next(10),
            5 => DateTimeOffset.UnixEpoch,
            6 => Enumerable.Range(0, random.Next(0, 12)).Select(_ => Value(depth + 1)).ToArray(),
            _ => new[] { "amount", "to", "order_id", "currency", "customer_id", "confidence" }.Where(_ => random.Next(2) == 0).ToDictionary(k => k, _ => Value(depth + 1)),
        };
        for (var i = 0; i < 2000; i++)
        {
            var args = random.Next(4) == 0 ? Value(0) : Map(("amount", Value(1)), ("to", Value(1)), ("order_id", Value(1)), ("currency", Value(1)));
            var input = Input(tools[random.Next(tools.Length)], args) with { Context = random.Next(2) == 0 ? Value(0) : Map(("confidence", Value(1))) };

            var decision = PolicyEvaluator.Evaluate(policy, input);

            Assert.NotEmpty(decision.Reasons);
            Assert.True(!decision.Errored || decision.Effect == Effect.Deny);
        }
    }

    [Fact]
    public void Evaluate_ConcurrentCallsOnOnePolicy_GiveTheSameDecisions()
    {
        var policy = Policy("""
              - { name: big, tools: [payments.refund], when: args.amount > 50, effect: require_approval, message: "'refund of ' + string(args.amount)" }
              - { name: export, tools: [email.send], when: "run.called('crm.export')", effect: deny }
            """, "default: allow");
        var inputs = Enumerable.Range(0, 64).Select(i => i % 2 == 0
            ? Input("payments.refund", Map(("amount", (long)i * 3)))
            : Input("email.send", run: new RunSnapshot { Calls = i % 4 == 1 ? [new RecordedCall("crm.export", Effect.Allow)] : [] })).ToArray();
        var expected = inputs.Select(i => PolicyEvaluator.Evaluate(policy, i)).Select(d => (d.Effect, string.Join(";", d.Reasons))).ToArray();

        Parallel.For(0, 20_000, n =>
        {
            var decision = PolicyEvaluator.Evaluate(policy, inputs[n % inputs.Length]);
            Assert.Equal(expected[n % inputs.Length], (decision.Effect, string.Join(";", decision.Reasons)));
        });
    }

    [Theory]
    [InlineData("support-bot", true)]
    [InlineData("support-bot-eu", true)]
    [InlineData("billing", true)]
    [InlineData("Support-bot", false)]
    [InlineData("billing-2", false)]
    [InlineData("", false)]
    public void BindsAgent_MatchesAnyAgentGlob(string agent, bool expected)
    {
        var policy = PolicyParser.Parse("name: p\nagents: [\"support-bot*\", billing]\ndefault: deny\nrules: []\n");

        Assert.Equal(expected, policy.BindsAgent(agent));
    }
}
