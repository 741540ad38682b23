using System.Text;

namespace Rein.Core.Policies;

public sealed record PolicyTestResult(string Name, int Line, bool Passed, string? Failure, PolicyDecision Decision);

public sealed record PolicyTestReport(string Policy, IReadOnlyList<PolicyTestResult> Results)
{
    public int Passed => Results.Count(r => r.Passed);

    public int Failed => Results.Count(r => !r.Passed);
}

public static class PolicyTests
{
    /// <summary>Runs the policy's embedded tests in file order. Never throws for a parsed policy.</summary>
    public static PolicyTestReport Run(Policy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var results = new PolicyTestResult[policy.Tests.Count];
        for (var i = 0; i < results.Length; i++)
        {
            var test = policy.Tests[i];
            var decision = PolicyEvaluator.Evaluate(policy, test.Input);
            var failure = Check(test, decision);
            results[i] = new PolicyTestResult(test.Name, test.Line, failure is null, failure, decision);
        }

        return new PolicyTestReport(policy.Name, results);
    }

    /// <summary>Null when the decision is what the test expects; otherwise what was expected and what came.</summary>
    internal static string? Check(PolicyTestCase test, PolicyDecision decision)
    {
        var mismatches = new List<string>();
        if (decision.Effect != test.ExpectEffect)
        {
            mismatches.Add($"expected effect {test.ExpectEffect.ToName()}, got {decision.Effect.ToName()}");
        }

        if (test.ExpectRoute is { } route && !string.Equals(route, decision.Route, StringComparison.Ordinal))
        {
            mismatches.Add($"expected route {route}, got {decision.Route ?? "none"}");
        }

        if (test.ExpectRule is { } rule && !Decided(decision, rule))
        {
            mismatches.Add($"expected rule {PolicyReader.Quote(rule)} to match");
        }

        if (test.ExpectMessage is { } message && !HasMessage(decision, message))
        {
            mismatches.Add($"expected a reason containing {PolicyReader.Quote(message)}");
        }

        return mismatches.Count == 0 ? null : $"{string.Join("; ", mismatches)} ({Describe(decision)})";
    }

    /// <summary>What decided, for a failure: <c>rules: none matched; default allow</c>.</summary>
    internal static string Describe(PolicyDecision decision)
    {
        var text = new StringBuilder("rules: ");
        text.Append(decision.MatchedRules.Count == 0 ? "none matched" : string.Join(", ", decision.MatchedRules));
        foreach (var reason in decision.Reasons)
        {
            text.Append("; ");
            if (reason.Rule == "default")
            {
                text.Append("default ").Append(decision.Effect.ToName());
            }
            else
            {
                text.Append(reason.Rule).Append(": ").Append(reason.Message);
            }
        }

        return text.ToString();
    }

    private static bool Decided(PolicyDecision decision, string rule)
    {
        foreach (var matched in decision.MatchedRules)
        {
            if (matched == rule)
            {
                return true;
            }
        }

        foreach (var reason in decision.Reasons)
        {
            if (reason.Rule == rule)
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasMessage(PolicyDecision decision, string message)
    {
        foreach (var reason in decision.Reasons)
        {
            if (reason.Message.Contains(message, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
