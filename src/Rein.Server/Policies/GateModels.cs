using System.Text.Json;
using Rein.Core.Policies;

namespace Rein.Server.Policies;

/// <summary>Who the agent acts for.</summary>
public sealed record GatePrincipal(string? Id, IReadOnlyList<string>? Roles, JsonElement? Attributes);

/// <summary>The body of <c>POST /api/v1/gate</c>: one action an agent is about to take. With an agent key the agent is
/// the key's (<see cref="Agent"/> may be left out, and must match it when sent); a key of another role names the agent
/// it acts for in <see cref="ActAs"/>, and the call is audited.</summary>
public sealed record GateRequestBody(
    string? Agent,
    string? Release,
    string? RunId,
    string? SessionId,
    string? ParentRunId,
    GatePrincipal? Principal,
    string? Tool,
    string? Server,
    JsonElement? Args,
    JsonElement? Context,
    string? Traceparent,
    string? ApprovalToken = null,
    string? ActAs = null);

/// <summary>One action to decide, checked: what <see cref="GateService"/> takes from any transport (HTTP, the tool gateway).</summary>
public sealed record GateCall
{
    public required string Agent { get; init; }

    public string? Release { get; init; }

    public string? RunId { get; init; }

    public string? SessionId { get; init; }

    public string? ParentRunId { get; init; }

    public string? PrincipalId { get; init; }

    public IReadOnlyList<string> PrincipalRoles { get; init; } = [];

    public JsonElement? PrincipalAttributes { get; init; }

    public required string Tool { get; init; }

    public string? Server { get; init; }

    public JsonElement? Args { get; init; }

    public JsonElement? Context { get; init; }

    /// <summary>W3C trace context of the caller's span, when known: the decision's span becomes its child.</summary>
    public string? TraceId { get; init; }

    public string? ParentSpanId { get; init; }

    /// <summary>The single-use token of an approved request (<c>rat_…</c>), when this call redeems one.</summary>
    public string? ApprovalToken { get; init; }

    /// <summary>A key that is not an agent key acts for <see cref="Agent"/> (<c>actAs</c>): the decision is audited.</summary>
    public bool ActingAs { get; init; }
}

public sealed record PolicyRef(string Name, int Version, string Hash);

public sealed record ObligationsResponse(IReadOnlyList<string> Redact, IReadOnlyList<RateLimitResponse> RateLimits)
{
    public static ObligationsResponse None { get; } = new([], []);
}

public sealed record RateLimitResponse(string Rule, string Key, int Limit, string Window);

public sealed record ReasonResponse(string Rule, string Message);

/// <summary>The approval request an enforced require_approval opened, bound to exactly these arguments.
/// <see cref="Route"/> is the deciding rule's route as written (kept for compatibility); <see cref="Queue"/> is the route
/// or <c>default</c>.</summary>
public sealed record ApprovalHint(string RequestId, string Status, string Queue, string Severity, DateTimeOffset ExpiresAt, string ArgsHash, string? Route);

/// <summary>A policy evaluated beside the deciding one (audit mode), or a warn-mode policy's would-be decision.</summary>
public sealed record ShadowDecision(string Policy, int Version, string Mode, string Effect, IReadOnlyList<string> Rules);

/// <summary>The gate's answer. <see cref="Effect"/> is one of allow, confirm, require_approval, deny.</summary>
public sealed record GateDecision(
    string DecisionId,
    string Effect,
    IReadOnlyList<ReasonResponse> Reasons,
    ObligationsResponse Obligations,
    PolicyRef? Policy,
    string? Mode,
    ApprovalHint? Approval,
    IReadOnlyList<ShadowDecision> Shadow)
{
    internal Effect EffectValue { get; init; }
}

/// <summary>A recorded decision as the API answers it.</summary>
public sealed record DecisionResponse(
    string Id,
    DateTimeOffset At,
    string Agent,
    string? Release,
    string? RunId,
    string? SessionId,
    string? PrincipalId,
    string Tool,
    string? Server,
    string Effect,
    string? Mode,
    PolicyRef? Policy,
    IReadOnlyList<string> Rules,
    IReadOnlyList<ReasonResponse> Reasons,
    JsonElement Obligations,
    JsonElement Shadow,
    JsonElement Input,
    JsonElement RunState,
    long LatencyUs,
    string? TraceId,
    string? SpanId);

/// <summary>The body of <c>POST /api/v1/policies/{name}/backtest</c>.</summary>
public sealed record BacktestRequest(int? Version, DateTimeOffset? Since, int? Limit);

public sealed record BacktestRuleCount(string Rule, int Count);

public sealed record BacktestToolCount(string Tool, int Count);

public sealed record BacktestChange(string From, string To, int Count);

public sealed record BacktestExample(string DecisionId, DateTimeOffset At, string Agent, string Tool, string Before, string After, string? Rule);

public sealed record BacktestResponse(
    string Name,
    int Version,
    DateTimeOffset Since,
    int Considered,
    int Changed,
    int Errors,
    IReadOnlyList<BacktestRuleCount> ByRule,
    IReadOnlyList<BacktestToolCount> ByTool,
    IReadOnlyList<BacktestChange> ByChange,
    IReadOnlyList<BacktestExample> Examples,
    bool Truncated,
    int Redemptions);
