using Rein.Core.Policies;
using static Rein.Core.Tests.Policies.PolicyEvaluatorTests;

namespace Rein.Core.Tests.Policies;

/// <summary>Rule order never matters: the same rules in any order give the same decision.</summary>
public sealed class PolicyOrderTests
{
    // Require-approval rules share one route so the route cannot depend on which deciding rule comes first.
    private static readonly string[] Rules =
    [
        "  - { name: lookups, tools: [\"crm.get_*\", kb.search], effect: allow }",
        "  - { name: everything, tools: [\"*\"], when: \"has(context.trusted) && context.trusted\", effect: allow }",
        "  - { name: large refunds, tools: [payments.refund], when: args.amount > 50, effect: require_approval, route: finance, message: \"'refund of ' + string(args.amount)\" }",
        "  - { name: huge refunds, tools: [payments.refund], when: args.amount > 5000, effect: deny }",
        "  - { name: refunds need a look, tools: [\"payments.*\"], effect: confirm, redact: [args.card] }",
        "  - { name: after export, tools: [email.send], when: \"run.called('crm.export')\", effect: deny }",
        "  - { name: many recipients, tools: [email.send], when: size(args.to) > 10, effect: require_approval, route: finance }",
        "  - { name: admins, tools: [\"*.delete\"], when: \"'admin' in principal.roles\", effect: confirm }",
        "  - { name: deletes, tools: [\"*.delete\"], effect: require_approval, route: finance, redact: [args.id] }",
        "  - { name: limited, tools: [\"crm.*\"], effect: allow, rate_limit: { key: agent.name, limit: 10, per: 1m } }",
        "  - { name: fragile, tools: [crm.update], when: args.field == 'email', effect: allow }",
        "  - { name: export, tools: [crm.export], effect: confirm }",
    ];

    private static readonly GateInput[] Inputs =
    [
        Input("kb.search"),
        Input("crm.get_customer"),
        Input("payments.refund", Map(("amount", 10L))),
        Input("payments.refund", Map(("amount", 500L), ("card", "4111"))),
        Input("payments.refund", Map(("amount", 50000L))),
        Input("payments.refund"),
        Input("email.send", Map(("to", new object?[] { "a@example.com" }))),
        Input("email.send", Map(("to", Enumerable.Range(0, 11).Select(i => (object?)$"{i}@example.com").ToArray()))),
        Input("email.send", Map(("to", new object?[] { "a" })), new RunSnapshot { Calls = [new RecordedCall("crm.export", Effect.Allow)] }),
        Input("db.delete", Map(("id", 5L))) with { PrincipalRoles = ["admin"] },
        Input("db.delete", Map(("id", 5L))),
        Input("crm.update", Map(("field", "email"))),
        Input("crm.update"),
        Input("crm.export"),
        Input("unknown.tool"),
        Input("unknown.tool") with { Context = Map(("trusted", true)) },
    ];

    private static Policy Build(IEnumerable<string> rules) => Policy(string.Join("\n", rules), "default: deny");

    /// <summary>The decision with lists that carry no order of their own sorted.</summary>
    private static string Canonical(PolicyDecision d) => string.Join(" | ",
        d.Effect.ToName(),
        d.Route ?? "-",
        d.Errored,
        string.Join(",", d.Reasons.Select(r => r.Rule + "=" + r.Message).Order(StringComparer.Ordinal)),
        string.Join(",", d.MatchedRules.Order(StringComparer.Ordinal)),
        string.Join(",", d.Redact.Order(StringComparer.Ordinal)),
        string.Join(",", d.RateLimits.Select(r => $"{r.Rule}:{r.Key}:{r.Limit}:{r.Window}").Order(StringComparer.Ordinal)));

    [Fact]
    public void Evaluate_ReversedRules_GiveTheSameDecisions()
    {
        var forward = Build(Rules);
        var backward = Build(Rules.Reverse());

        foreach (var input in Inputs)
        {
            Assert.Equal(Canonical(PolicyEvaluator.Evaluate(forward, input)), Canonical(PolicyEvaluator.Evaluate(backward, input)));
        }
    }

    [Fact]
    public void Evaluate_ManyRandomRuleOrders_GiveTheSameDecisions()
    {
        var reference = Build(Rules);
        var expected = Inputs.Select(i => Canonical(PolicyEvaluator.Evaluate(reference, i))).ToArray();
        var random = new Random(20261121);
        for (var round = 0; round < 200; round++)
        {
            var shuffled = Rules.ToArray();
            random.Shuffle(shuffled);
            var policy = Build(shuffled);
            for (var i = 0; i < Inputs.Length; i++)
            {
                Assert.Equal(expected[i], Canonical(PolicyEvaluator.Evaluate(policy, Inputs[i])));
            }
        }
    }

    [Fact]
    public void Evaluate_RandomSubsetsInRandomOrders_DecideByTheMostRestrictiveMatchingRule()
    {
        var random = new Random(7);
        var all = Build(Rules);
        for (var round = 0; round < 200; round++)
        {
            var subset = Rules.Where(_ => random.Next(2) == 0).ToArray();
            random.Shuffle(subset);
            var policy = Build(subset);
            var input = Inputs[random.Next(Inputs.Length)];

            var decision = PolicyEvaluator.Evaluate(policy, input);

            // Each rule decides alone as it does within the full policy; the subset's decision is the largest of them.
            var alone = subset.Select(r => PolicyEvaluator.Evaluate(Build([r]), input)).Where(d => d.MatchedRules.Count > 0).ToArray();
            var expected = alone.Length == 0 ? Effect.Deny : alone.Max(d => d.Effect);
            Assert.Equal(expected, decision.Effect);
            Assert.Equal(alone.Any(d => d.Errored), decision.Errored);
        }

        Assert.NotEmpty(PolicyEvaluator.Evaluate(all, Inputs[0]).MatchedRules);
    }

    [Fact]
    public void Evaluate_ExpectedDecisionsOfTheSamplePolicy()
    {
        var policy = Build(Rules);
        string Effect(GateInput input) => PolicyEvaluator.Evaluate(policy, input).Effect.ToName();

        Assert.Equal(
        [
            "allow", "allow", "confirm", "require_approval", "deny", "deny", "deny", "require_approval", "deny",
            "require_approval", "require_approval", "allow", "deny", "confirm", "deny", "allow",
        ],
            Inputs.Select(Effect));
    }
}
