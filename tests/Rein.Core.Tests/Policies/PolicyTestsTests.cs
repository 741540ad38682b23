using Rein.Core.Policies;

namespace Rein.Core.Tests.Policies;

/// <summary>The embedded tests runner, the issue's example and the example policy shipped in examples/.</summary>
public sealed class PolicyTestsTests
{
    private const string IssueExample = """
        name: support-bot
        agents: ["support-bot*"]
        mode: enforce
        default: deny
        budgets: { max_steps: 40, max_identical_calls: 3, max_cost_usd: 2.5, max_duration: 15m, on_exceed: require_approval }
        rules:
          - name: lookups
            tools: ["crm.get_*", "kb.search"]
            effect: allow
          - name: large refunds go to finance
            tools: ["payments.refund"]
            when: args.amount > 50
            effect: require_approval
            route: finance
            message: "'refund of ' + string(args.amount) + ' needs finance'"
          - name: no sending after a bulk export
            tools: ["email.send"]
            when: run.called('crm.export') || size(args.to) > 10
            effect: deny
        tests:
          - name: big refund needs finance
            input: { tool: payments.refund, args: { amount: 500 } }
            expect: { effect: require_approval, route: finance }
        """;

    private static PolicyTestReport Run(string tests) =>
        PolicyTests.Run(PolicyParser.Parse(IssueExample.Replace(
            "tests:\n  - name: big refund needs finance\n    input: { tool: payments.refund, args: { amount: 500 } }\n    expect: { effect: require_approval, route: finance }",
            "tests:\n" + tests,
            StringComparison.Ordinal)));

    [Fact]
    public void Run_IssueExample_ParsesAndItsTestPasses()
    {
        var report = PolicyTests.Run(PolicyParser.Parse(IssueExample, "support-bot.yaml"));

        var result = Assert.Single(report.Results);
        Assert.Equal(("support-bot", "big refund needs finance", 21, true, null), (report.Policy, result.Name, result.Line, result.Passed, result.Failure));
        Assert.Equal(Effect.RequireApproval, result.Decision.Effect);
        Assert.Equal((1, 0), (report.Passed, report.Failed));
    }

    [Fact]
    public void Run_WrongEffect_SaysWhatWasExpectedAndWhatCame()
    {
        var report = Run("""
              - name: reads need approval
                input: { tool: kb.delete }
                expect: { effect: require_approval }
            """);

        var result = Assert.Single(report.Results);
        Assert.False(result.Passed);
        Assert.Equal("expected effect require_approval, got deny (rules: none matched; default deny)", result.Failure);
        Assert.Equal((0, 1), (report.Passed, report.Failed));
    }

    [Fact]
    public void Run_EveryExpectation_IsChecked()
    {
        var report = Run("""
              - name: all wrong
                input: { tool: payments.refund, args: { amount: 500 } }
                expect: { effect: allow, route: legal, rule: lookups, message: "nothing like it" }
              - name: all right
                input: { tool: payments.refund, args: { amount: 500 } }
                expect: { effect: require_approval, route: finance, rule: large refunds go to finance, message: "of 500" }
            """);

        Assert.Equal(
            "expected effect allow, got require_approval; expected route legal, got finance; expected rule 'lookups' to match; " +
            "expected a reason containing 'nothing like it' " +
            "(rules: large refunds go to finance; large refunds go to finance: refund of 500 needs finance)",
            report.Results[0].Failure);
        Assert.True(report.Results[1].Passed, report.Results[1].Failure);
    }

    [Fact]
    public void Run_ExpectedRule_MayBeAReasonSuchAsABudgetOrTheDefault()
    {
        var report = Run("""
              - name: default
                input: { tool: shell.exec }
                expect: { effect: deny, rule: default }
              - name: budget
                input: { tool: kb.search, run: { steps: 40 } }
                expect: { effect: require_approval, rule: budget.max_steps, message: "taken 40 steps" }
              - name: route missing
                input: { tool: kb.search }
                expect: { effect: allow, route: finance }
            """);

        Assert.True(report.Results[0].Passed, report.Results[0].Failure);
        Assert.True(report.Results[1].Passed, report.Results[1].Failure);
        Assert.Equal("expected route finance, got none (rules: lookups; lookups: rule lookups matched)", report.Results[2].Failure);
    }

    [Fact]
    public void Run_SequenceInTest_UsesTheRunsCalls()
    {
        var report = Run("""
              - name: no email after export
                input: { tool: email.send, args: { to: [a] }, run: { calls: [crm.export] } }
                expect: { effect: deny, rule: no sending after a bulk export }
              - name: email without export
                input: { tool: email.send, args: { to: [a] } }
                expect: { effect: deny, rule: default }
            """);

        Assert.All(report.Results, r => Assert.True(r.Passed, r.Failure));
    }

    [Fact]
    public void Run_ErrorInTest_IsAFailedTestNotAnException()
    {
        var report = Run("""
              - name: refund without amount
                input: { tool: payments.refund, args: {} }
                expect: { effect: require_approval }
            """);

        var failure = Assert.Single(report.Results).Failure;
        Assert.StartsWith("expected effect require_approval, got deny (rules: large refunds go to finance; large refunds go to finance: evaluation error: ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_ExamplePolicyInTheRepository_ParsesAndAllItsTestsPass()
    {
        var path = Path.Combine(RepositoryRoot(), "examples", "policies", "support-bot.yaml");

        var policy = PolicyParser.Parse(File.ReadAllText(path), "support-bot.yaml");
        var report = PolicyTests.Run(policy);

        Assert.Equal("support-bot", policy.Name);
        Assert.False(policy.Budgets.IsEmpty);
        Assert.True(report.Results.Count >= 10);
        Assert.All(report.Results, r => Assert.True(r.Passed, $"{r.Name}: {r.Failure}"));
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Rein.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Rein.slnx above {AppContext.BaseDirectory}.");
    }
}
