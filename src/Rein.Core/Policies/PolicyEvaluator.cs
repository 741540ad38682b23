using System.Globalization;
using Rein.Core.Expressions;

namespace Rein.Core.Policies;

/// <summary>
/// Decides one action: the rules whose tools match and whose <c>when</c> holds are the matching rules; the most
/// restrictive effect among them and any exceeded budget wins, so rule order never matters; <c>default</c> applies only
/// when no rule matched. An error in a matching rule's <c>when</c>, <c>message</c> or rate-limit key makes that rule
/// deny (fail closed). Reasons are the deciding rules, redaction is the union over matching rules.
/// </summary>
public static class PolicyEvaluator
{
    /// <summary>Never throws: any error in a matching rule makes the decision deny with the error in the reasons.</summary>
    public static PolicyDecision Evaluate(Policy policy, GateInput input)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(input);
        try
        {
            return Decide(policy.Plan, policy.Default, input);
        }
#pragma warning disable CA1031 // Fail closed: a bug here must deny, never let the action through or break the gate.
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new PolicyDecision
            {
                Effect = Effect.Deny,
                Reasons = [new DecisionReason("policy", "evaluation error: " + e.Message)],
                Errored = true,
            };
        }
    }

    /// <summary>
    /// True when the policy denies <paramref name="tool"/> whatever the arguments and the run: a matching deny rule
    /// without <c>when</c>, or no matching rule and a <c>default</c> of deny. What the tool gateway leaves out of an
    /// agent's tool list; a rule with a condition may still allow some calls, so it does not hide the tool.
    /// </summary>
    public static bool DeniesOutright(Policy policy, string tool)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(tool);
        var plan = policy.Plan;
        var matched = false;
        var matches = plan.Match(tool);
        for (var index = matches.Next(); index >= 0; index = matches.Next())
        {
            matched = true;
            if (plan.Rules[index] is { Effect: Effect.Deny, When: null })
            {
                return true;
            }
        }

        return !matched && policy.Default == Effect.Deny;
    }

    private static PolicyDecision Decide(PolicyPlan plan, Effect defaultEffect, GateInput input)
    {
        object?[]? variables = null;
        List<Outcome>? outcomes = null;
        List<string>? redact = null;
        List<RateLimitObligation>? rateLimits = null;
        var errored = false;
        var matches = plan.Match(input.Tool ?? "");
        for (var index = matches.Next(); index >= 0; index = matches.Next())
        {
            var rule = plan.Rules[index];
            string? error = null;
            if (rule.When is { } when)
            {
                var result = when.Evaluate(variables ??= PolicyEnvironment.Variables(input));
                if (result.IsError)
                {
                    error = result.Error;
                }
                else if (result.Value is not bool holds)
                {
                    error = $"when gave {PolicyEnvironment.TypeName(result.Value)}, not a bool";
                }
                else if (!holds)
                {
                    continue;
                }
            }

            var message = plan.MatchedMessages[index];
            if (error is null && rule.Message is { } messageExpression)
            {
                var result = messageExpression.Evaluate(variables ??= PolicyEnvironment.Variables(input));
                if (result.IsError)
                {
                    error = "message: " + result.Error;
                }
                else
                {
                    message = Text(result.Value);
                }
            }

            RateLimitObligation? rateLimit = null;
            if (error is null && rule.RateLimit is { } limit)
            {
                var result = limit.Key.Evaluate(variables ??= PolicyEnvironment.Variables(input));
                if (result.IsError)
                {
                    error = "rate_limit key: " + result.Error;
                }
                else
                {
                    rateLimit = new RateLimitObligation(rule.Name, Text(result.Value), limit.Limit, limit.Window);
                }
            }

            outcomes ??= [];
            if (error is null)
            {
                outcomes.Add(new Outcome(rule.Name, rule.Effect, message, rule.Route, IsRule: true, rule.Severity ?? Severity.Medium));
                if (rateLimit is not null)
                {
                    (rateLimits ??= []).Add(rateLimit);
                }
            }
            else
            {
                errored = true;
                outcomes.Add(new Outcome(rule.Name, Effect.Deny, "evaluation error: " + error, null, IsRule: true, Severity.Medium));
            }

            // Redaction protects what is stored: a rule that failed may have matched, so its paths are kept too.
            foreach (var path in rule.Redact)
            {
                if (!(redact ??= []).Contains(path))
                {
                    redact.Add(path);
                }
            }
        }

        var matched = outcomes?.Count ?? 0;
        if (matched == 0)
        {
            (outcomes ??= []).Add(new Outcome("default", defaultEffect, plan.DefaultMessage, null, IsRule: false, Severity.Medium));
        }

        if (!plan.Budgets.IsEmpty)
        {
            Budget(plan, input, outcomes!);
        }

        return Combine(outcomes!, matched, redact, rateLimits, errored);
    }

    private static PolicyDecision Combine(List<Outcome> outcomes, int matched, List<string>? redact, List<RateLimitObligation>? rateLimits, bool errored)
    {
        var effect = Effect.Allow;
        foreach (var outcome in outcomes)
        {
            effect = outcome.Effect > effect ? outcome.Effect : effect;
        }

        var deciding = 0;
        foreach (var outcome in outcomes)
        {
            deciding += outcome.Effect == effect ? 1 : 0;
        }

        var reasons = new DecisionReason[deciding];
        var rules = matched == 0 ? [] : new string[matched];
        string? route = null;
        var severity = Severity.Low;
        int r = 0, m = 0;
        foreach (var outcome in outcomes)
        {
            if (outcome.IsRule)
            {
                rules[m++] = outcome.Rule;
            }

            if (outcome.Effect == effect)
            {
                reasons[r++] = new DecisionReason(outcome.Rule, outcome.Message);
                route ??= outcome.Route;
                severity = outcome.Severity > severity ? outcome.Severity : severity;
            }
        }

        return new PolicyDecision
        {
            Effect = effect,
            Reasons = reasons,
            MatchedRules = rules,
            Route = route,
            Severity = severity,
            Redact = redact is null ? [] : redact,
            RateLimits = rateLimits is null ? [] : rateLimits,
            Errored = errored,
        };
    }

    // RunSnapshot counts are before this action, so taking it would make steps + 1.
    private static void Budget(PolicyPlan plan, GateInput input, List<Outcome> outcomes)
    {
        var budgets = plan.Budgets;
        var run = input.Run ?? RunSnapshot.Empty;
        var effect = budgets.OnExceed;
        var c = CultureInfo.InvariantCulture;
        if (budgets.MaxSteps is { } maxSteps && run.Steps + 1L > maxSteps)
        {
            outcomes.Add(Exceeded("max_steps", effect, string.Create(c, $"run has taken {run.Steps} steps; max_steps is {maxSteps}")));
        }

        var tool = input.Tool ?? "";
        foreach (var (glob, pattern, max) in plan.CallsPerTool)
        {
            if (glob.Matches(tool))
            {
                var calls = run.ToolCalls.TryGetValue(tool, out var n) ? n : 0;
                if (calls + 1L > max)
                {
                    outcomes.Add(Exceeded("max_calls_per_tool", effect, string.Create(c, $"run has called {tool} {calls} times; max_calls_per_tool for {pattern} is {max}")));
                }

                break;
            }
        }

        if (budgets.MaxIdenticalCalls is { } maxIdentical && run.IdenticalCalls + 1L > maxIdentical)
        {
            outcomes.Add(Exceeded("max_identical_calls", effect, string.Create(c, $"run has made this same call {run.IdenticalCalls} times; max_identical_calls is {maxIdentical}")));
        }

        if (budgets.MaxCostUsd is { } maxCost && run.CostUsd is { } cost && cost >= maxCost)
        {
            outcomes.Add(Exceeded("max_cost_usd", effect, string.Create(c, $"run has cost ${cost:0.00####}; max_cost_usd is {maxCost}")));
        }

        if (budgets.MaxDuration is { } maxDuration && run.Duration > maxDuration)
        {
            outcomes.Add(Exceeded("max_duration", effect, $"run has lasted {PolicyValues.FormatDuration(run.Duration)}; max_duration is {PolicyValues.FormatDuration(maxDuration)}"));
        }

        if (budgets.MaxDepth is { } maxDepth && run.Depth > maxDepth)
        {
            outcomes.Add(Exceeded("max_depth", effect, string.Create(c, $"run is at depth {run.Depth}; max_depth is {maxDepth}")));
        }
    }

    // An agent past its budget is out of its expected path: whoever approves should look first.
    private static Outcome Exceeded(string budget, Effect effect, string message) =>
        new("budget." + budget, effect, message, null, IsRule: false, Severity.High);

    private static string Text(object? value) => value as string ?? Expression.Format(value);

    private readonly record struct Outcome(string Rule, Effect Effect, string Message, string? Route, bool IsRule, Severity Severity);
}
