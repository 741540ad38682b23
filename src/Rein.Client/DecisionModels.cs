using System.Text.Json;

namespace Rein.Client;

/// <summary>A decision as the decision log keeps it.</summary>
/// <param name="Id">The decision's id.</param>
/// <param name="At">When it was made.</param>
/// <param name="Agent">The agent that asked.</param>
/// <param name="Release">The agent's release.</param>
/// <param name="RunId">The run it belongs to.</param>
/// <param name="SessionId">The session.</param>
/// <param name="PrincipalId">Who the agent acted for.</param>
/// <param name="Tool">The tool.</param>
/// <param name="Server">The tool's server.</param>
/// <param name="Effect">The answer.</param>
/// <param name="Mode">The deciding policy's mode.</param>
/// <param name="Policy">The deciding policy version; null when a kill switch or no policy decided.</param>
/// <param name="Rules">The rules that matched.</param>
/// <param name="Reasons">The deciding rules and their messages.</param>
/// <param name="Obligations">Redactions and rate limits.</param>
/// <param name="Shadow">What audit- and warn-mode policies would have decided.</param>
/// <param name="Input">The request as decided, after redaction.</param>
/// <param name="RunState">What the gate knew of the run (steps, calls, cost, ...) before the action.</param>
/// <param name="LatencyUs">How long the decision took, in microseconds.</param>
/// <param name="TraceId">The trace the decision's span was written to.</param>
/// <param name="SpanId">The decision's span.</param>
public sealed record RecordedDecision(
    string Id,
    DateTimeOffset At,
    string Agent,
    string? Release,
    string? RunId,
    string? SessionId,
    string? PrincipalId,
    string Tool,
    string? Server,
    GateEffect Effect,
    string? Mode,
    PolicyReference? Policy,
    IReadOnlyList<string> Rules,
    IReadOnlyList<DecisionReason> Reasons,
    DecisionObligations? Obligations,
    IReadOnlyList<ShadowDecision>? Shadow,
    JsonElement Input,
    JsonElement RunState,
    long LatencyUs,
    string? TraceId,
    string? SpanId);

/// <summary>Filters on the decision log; every one is optional and they combine with AND.</summary>
public sealed record DecisionQuery
{
    /// <summary>Only decisions with this effect.</summary>
    public GateEffect? Effect { get; init; }

    /// <summary>Only this agent's decisions.</summary>
    public string? Agent { get; init; }

    /// <summary>Only decisions about this tool.</summary>
    public string? Tool { get; init; }

    /// <summary>Only decisions in which this rule matched.</summary>
    public string? Rule { get; init; }

    /// <summary>Only decisions of this run.</summary>
    public string? RunId { get; init; }

    /// <summary>Only decisions made by this policy.</summary>
    public string? Policy { get; init; }

    /// <summary>Only decisions made at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only decisions made before this time.</summary>
    public DateTimeOffset? To { get; init; }
}
