using Rein.Core.Expressions;

namespace Rein.Core.Policies;

// CONTRACT (issue 4): the public surface of policies in Rein.Core; signatures change only by agreement. The parser,
// evaluator, tests runner, diff and names are in the files beside this one.

/// <summary>What the gate answers, in increasing order of restriction: among matching rules the largest wins.</summary>
public enum Effect
{
    Allow = 0,
    Confirm = 1,
    RequireApproval = 2,
    Deny = 3,
}

/// <summary>How urgent a human decision is: an approval inbox sorts by it, highest first.</summary>
public enum Severity
{
    Low = 0,
    Medium = 1,
    High = 2,
    Critical = 3,
}

/// <summary>enforce: the decision is the answer. warn: the answer is allow, what would have been blocked is recorded.
/// audit: evaluated beside the enforced policy and recorded only (shadow mode).</summary>
public enum PolicyMode
{
    Enforce,
    Warn,
    Audit,
}

/// <summary>A problem in a policy file at a 1-based line and column.</summary>
public sealed record PolicyProblem(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>A policy file did not parse or check; every problem found is listed.</summary>
public sealed class PolicyException(IReadOnlyList<PolicyProblem> problems)
    : Exception(problems.Count == 0 ? "invalid policy" : problems[0].ToString())
{
    public IReadOnlyList<PolicyProblem> Problems { get; } = problems;
}

/// <summary>Bounds on a policy file.</summary>
public sealed record PolicyLimits
{
    public int MaxSourceBytes { get; init; } = 256 * 1024;

    public int MaxRules { get; init; } = 500;

    public int MaxTests { get; init; } = 500;

    public int MaxGlobsPerList { get; init; } = 100;

    public int MaxNameLength { get; init; } = 128;

    public ExpressionLimits Expressions { get; init; } = ExpressionLimits.Default;

    public static PolicyLimits Default { get; } = new();
}

/// <summary>Per-run bounds on autonomy. Null means unbounded. Exceeding any gives <see cref="OnExceed"/>.</summary>
public sealed record Budgets
{
    public int? MaxSteps { get; init; }

    /// <summary>Tool glob to the most calls of a matching tool in one run.</summary>
    public IReadOnlyDictionary<string, int> MaxCallsPerTool { get; init; } = new Dictionary<string, int>();

    /// <summary>Same tool with the same arguments: loop detection.</summary>
    public int? MaxIdenticalCalls { get; init; }

    public decimal? MaxCostUsd { get; init; }

    public TimeSpan? MaxDuration { get; init; }

    /// <summary>Sub-agent depth (a root run is depth 0).</summary>
    public int? MaxDepth { get; init; }

    public Effect OnExceed { get; init; } = Effect.Deny;

    public bool IsEmpty => MaxSteps is null && MaxCallsPerTool.Count == 0 && MaxIdenticalCalls is null && MaxCostUsd is null && MaxDuration is null && MaxDepth is null;
}

/// <summary>A rate-limit obligation: at most <see cref="Limit"/> matching calls per <see cref="Window"/> per key.</summary>
public sealed record RateLimitRule(CompiledExpression Key, int Limit, TimeSpan Window);

public sealed record PolicyRule
{
    public required string Name { get; init; }

    public required IReadOnlyList<string> Tools { get; init; }

    public CompiledExpression? When { get; init; }

    public Effect Effect { get; init; }

    /// <summary>An expression giving a string.</summary>
    public CompiledExpression? Message { get; init; }

    public string? Route { get; init; }

    /// <summary>How urgent an approval this rule asks for is; null when the rule does not say (medium).</summary>
    public Severity? Severity { get; init; }

    /// <summary>Argument paths (<c>args.card.number</c>) removed from everything stored about the decision.</summary>
    public IReadOnlyList<string> Redact { get; init; } = [];

    public RateLimitRule? RateLimit { get; init; }

    /// <summary>1-based line of the rule in its file.</summary>
    public int Line { get; init; }
}

/// <summary>One embedded test: an input and what the decision must be.</summary>
public sealed record PolicyTestCase
{
    public required string Name { get; init; }

    public required GateInput Input { get; init; }

    public Effect ExpectEffect { get; init; }

    public string? ExpectRoute { get; init; }

    /// <summary>A rule that must be among the matched rules.</summary>
    public string? ExpectRule { get; init; }

    /// <summary>Text that must appear in one of the reasons' messages.</summary>
    public string? ExpectMessage { get; init; }

    public int Line { get; init; }
}

/// <summary>A parsed and checked policy, immutable, safe to evaluate concurrently.</summary>
public sealed class Policy
{
    /// <summary>Shortest <see cref="ApprovalExpiry"/>: less leaves no one the time to read the request.</summary>
    public static readonly TimeSpan MinApprovalExpiry = TimeSpan.FromMinutes(1);

    /// <summary>Longest <see cref="ApprovalExpiry"/>: an agent run does not wait a week for anything.</summary>
    public static readonly TimeSpan MaxApprovalExpiry = TimeSpan.FromDays(7);

    public required string Name { get; init; }

    public string? Description { get; init; }

    public required IReadOnlyList<string> Agents { get; init; }

    public PolicyMode Mode { get; init; }

    public Effect Default { get; init; }

    public Budgets Budgets { get; init; } = new();

    /// <summary>How long an approval this policy asks for stays open before it expires (denied); null leaves it to the
    /// queue or the server's default.</summary>
    public TimeSpan? ApprovalExpiry { get; init; }

    public required IReadOnlyList<PolicyRule> Rules { get; init; }

    public IReadOnlyList<PolicyTestCase> Tests { get; init; } = [];

    /// <summary>The file as given, line endings normalised to \n, without a leading byte-order mark.</summary>
    public required string Source { get; init; }

    /// <summary><c>sha256:</c> and the hex SHA-256 of <see cref="Source"/> in UTF-8: a version's identity.</summary>
    public required string Hash { get; init; }

    /// <summary>True when a budget or an expression reads the run's cost (so the gate must look it up).</summary>
    public bool NeedsRunCost { get; init; }

    /// <summary>True when one of <see cref="Agents"/> matches the agent's name.</summary>
    public bool BindsAgent(string agent) => Plan.BindsAgent(agent);

    // Built on first use from the rules above, so a Policy made without the parser evaluates too.
    internal PolicyPlan Plan => _plan ??= new PolicyPlan(this);

    private PolicyPlan? _plan;
}

/// <summary>An earlier action of the run, oldest first.</summary>
public sealed record RecordedCall(string Tool, Effect Effect);

/// <summary>What is known of the run before this action.</summary>
public sealed record RunSnapshot
{
    public int Steps { get; init; }

    public IReadOnlyList<RecordedCall> Calls { get; init; } = [];

    public IReadOnlyDictionary<string, int> ToolCalls { get; init; } = new Dictionary<string, int>();

    /// <summary>Earlier calls of this tool with these same arguments.</summary>
    public int IdenticalCalls { get; init; }

    /// <summary>Cost so far from the run's traces; null when unknown.</summary>
    public decimal? CostUsd { get; init; }

    public TimeSpan Duration { get; init; }

    public int Depth { get; init; }

    /// <summary>Whether the run has read content flagged as possible prompt injection (a tool result screened by the
    /// gateway): policies use it to hold back outbound tools afterwards.</summary>
    public bool Untrusted { get; init; }

    public static RunSnapshot Empty { get; } = new();
}

/// <summary>One action to decide, with values in expression form (see <see cref="IExpressionObject"/>).</summary>
public sealed record GateInput
{
    public required string Agent { get; init; }

    public string? Release { get; init; }

    public required string Tool { get; init; }

    public string? Server { get; init; }

    public object? Args { get; init; }

    public string? PrincipalId { get; init; }

    public IReadOnlyList<string> PrincipalRoles { get; init; } = [];

    public object? PrincipalAttributes { get; init; }

    public object? Context { get; init; }

    public RunSnapshot Run { get; init; } = RunSnapshot.Empty;

    public DateTimeOffset Now { get; init; }
}

/// <summary>Why: the rule (or <c>default</c>, <c>budget.max_steps</c>, ...) and its message.</summary>
public sealed record DecisionReason(string Rule, string Message);

/// <summary>A rate-limit key the caller's action counts against; the gate keeps the counts.</summary>
public sealed record RateLimitObligation(string Rule, string Key, int Limit, TimeSpan Window);

/// <summary>One policy's decision for one action.</summary>
public sealed record PolicyDecision
{
    public Effect Effect { get; init; }

    public IReadOnlyList<DecisionReason> Reasons { get; init; } = [];

    /// <summary>Rules whose tools and condition matched, in file order; a rule whose condition failed to evaluate is
    /// listed too, since its error decided.</summary>
    public IReadOnlyList<string> MatchedRules { get; init; } = [];

    /// <summary>Approval route of the deciding rule when the effect is require_approval.</summary>
    public string? Route { get; init; }

    /// <summary>The highest severity among the deciding rules (medium for a rule that names none, high for an exceeded
    /// budget).</summary>
    public Severity Severity { get; init; } = Severity.Medium;

    public IReadOnlyList<string> Redact { get; init; } = [];

    public IReadOnlyList<RateLimitObligation> RateLimits { get; init; } = [];

    /// <summary>True when an evaluation error decided (fail closed).</summary>
    public bool Errored { get; init; }
}
