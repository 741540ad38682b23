using Rein.Core.Policies;
using static Rein.Core.Tests.Policies.PolicyEvaluatorTests;

namespace Rein.Core.Tests.Policies;

/// <summary>Budgets: RunSnapshot counts are before the action, so each bound is checked at its boundary.</summary>
public sealed class PolicyBudgetTests
{
    private static readonly Policy Budgeted = Policy(
        "  - { name: anything, tools: [\"*\"], effect: allow }",
        """
        default: deny
        budgets:
          max_steps: 40
          max_calls_per_tool: { "payments.*": 3, "*": 10 }
          max_identical_calls: 3
          max_cost_usd: 2.5
          max_duration: 15m
          max_depth: 1
        """);

    private static PolicyDecision Decide(RunSnapshot run, string tool = "kb.search") =>
        PolicyEvaluator.Evaluate(Budgeted, Input(tool, run: run));

    private static void AssertExceeded(PolicyDecision decision, string budget, string message)
    {
        Assert.Equal(Effect.Deny, decision.Effect);
        Assert.Equal([new DecisionReason(budget, message)], decision.Reasons);
        Assert.Equal(["anything"], decision.MatchedRules);
        Assert.False(decision.Errored);
    }

    [Fact]
    public void Evaluate_MaxSteps_ExceededWhenThisStepWouldGoOver()
    {
        Assert.Equal(Effect.Allow, Decide(new RunSnapshot { Steps = 39 }).Effect);
        AssertExceeded(Decide(new RunSnapshot { Steps = 40 }), "budget.max_steps", "run has taken 40 steps; max_steps is 40");
    }

    [Fact]
    public void Evaluate_MaxCallsPerTool_UsesTheFirstMatchingGlob()
    {
        var toolCalls = new Dictionary<string, int> { ["payments.refund"] = 2, ["kb.search"] = 9 };
        Assert.Equal(Effect.Allow, Decide(new RunSnapshot { ToolCalls = toolCalls }, "payments.refund").Effect);
        Assert.Equal(Effect.Allow, Decide(new RunSnapshot { ToolCalls = toolCalls }, "kb.search").Effect);

        toolCalls = new Dictionary<string, int> { ["payments.refund"] = 3, ["kb.search"] = 10 };
        AssertExceeded(Decide(new RunSnapshot { ToolCalls = toolCalls }, "payments.refund"), "budget.max_calls_per_tool",
            "run has called payments.refund 3 times; max_calls_per_tool for payments.* is 3");
        AssertExceeded(Decide(new RunSnapshot { ToolCalls = toolCalls }, "kb.search"), "budget.max_calls_per_tool",
            "run has called kb.search 10 times; max_calls_per_tool for * is 10");

        // payments.refund is bound by payments.* only, not also by the later "*".
        toolCalls = new Dictionary<string, int> { ["payments.refund"] = 2, ["kb.search"] = 0 };
        Assert.Equal(Effect.Allow, Decide(new RunSnapshot { ToolCalls = toolCalls }, "payments.refund").Effect);
    }

    [Fact]
    public void Evaluate_MaxIdenticalCalls_ExceededOnTheFourthIdenticalCall()
    {
        Assert.Equal(Effect.Allow, Decide(new RunSnapshot { IdenticalCalls = 2 }).Effect);
        AssertExceeded(Decide(new RunSnapshot { IdenticalCalls = 3 }), "budget.max_identical_calls",
            "run has made this same call 3 times; max_identical_calls is 3");
    }

    [Fact]
    public void Evaluate_MaxCostUsd_ExceededWhenCostReachesIt()
    {
        Assert.Equal(Effect.Allow, Decide(new RunSnapshot { CostUsd = 2.49m }).Effect);
        Assert.Equal(Effect.Allow, Decide(new RunSnapshot { CostUsd = null }).Effect);
        AssertExceeded(Decide(new RunSnapshot { CostUsd = 2.5m }), "budget.max_cost_usd", "run has cost $2.50; max_cost_usd is 2.5");
    }

    [Fact]
    public void Evaluate_MaxDuration_ExceededOnceOver()
    {
        Assert.Equal(Effect.Allow, Decide(new RunSnapshot { Duration = TimeSpan.FromMinutes(15) }).Effect);
        AssertExceeded(Decide(new RunSnapshot { Duration = TimeSpan.FromSeconds(901) }), "budget.max_duration",
            "run has lasted 15m1s; max_duration is 15m");
    }

    [Fact]
    public void Evaluate_MaxDepth_ExceededBelowIt()
    {
        Assert.Equal(Effect.Allow, Decide(new RunSnapshot { Depth = 1 }).Effect);
        AssertExceeded(Decide(new RunSnapshot { Depth = 2 }), "budget.max_depth", "run is at depth 2; max_depth is 1");
    }

    [Fact]
    public void Evaluate_SeveralBudgetsExceeded_AllAreReasons()
    {
        var decision = Decide(new RunSnapshot { Steps = 40, Depth = 2 });

        Assert.Equal(["budget.max_steps", "budget.max_depth"], decision.Reasons.Select(r => r.Rule));
    }

    [Fact]
    public void Evaluate_OnExceed_CombinesWithRulesMostRestrictiveWinning()
    {
        var policy = Policy("""
              - { name: reads, tools: [kb.search], effect: allow }
              - { name: deletes, tools: [db.delete], effect: deny }
            """, "default: allow\nbudgets: { max_steps: 10, on_exceed: require_approval }");
        var over = new RunSnapshot { Steps = 10 };

        var reads = PolicyEvaluator.Evaluate(policy, Input("kb.search", run: over));
        var deletes = PolicyEvaluator.Evaluate(policy, Input("db.delete", run: over));
        var unmatched = PolicyEvaluator.Evaluate(policy, Input("other", run: over));

        Assert.Equal((Effect.RequireApproval, "budget.max_steps"), (reads.Effect, Assert.Single(reads.Reasons).Rule));
        Assert.Equal((Effect.Deny, "deletes"), (deletes.Effect, Assert.Single(deletes.Reasons).Rule));
        Assert.Equal((Effect.RequireApproval, "budget.max_steps"), (unmatched.Effect, Assert.Single(unmatched.Reasons).Rule));
        Assert.Empty(unmatched.MatchedRules);
    }

    [Fact]
    public void Evaluate_BudgetWithTheDefaultsEffect_ListsBothReasons()
    {
        var policy = Policy("  - { name: reads, tools: [kb.search], effect: allow }", "default: deny\nbudgets: { max_depth: 0 }");

        var decision = PolicyEvaluator.Evaluate(policy, Input("other", run: new RunSnapshot { Depth = 1 }));

        Assert.Equal(Effect.Deny, decision.Effect);
        Assert.Equal(["default", "budget.max_depth"], decision.Reasons.Select(r => r.Rule));
    }
}
