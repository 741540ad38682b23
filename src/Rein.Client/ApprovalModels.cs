using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rein.Client;

/// <summary>Where an approval request stands. A modification is <see cref="Approved"/> with the outcome
/// <see cref="ApprovalOutcomes.Modified"/>.</summary>
public static class ApprovalStatuses
{
    /// <summary>Nobody has decided yet, and it has not expired.</summary>
    public const string Pending = "pending";

    /// <summary>A person approved it, as asked or with modified arguments.</summary>
    public const string Approved = "approved";

    /// <summary>A person rejected it.</summary>
    public const string Rejected = "rejected";

    /// <summary>Nobody decided before its expiry: it counts as denied (expiry fails closed).</summary>
    public const string Expired = "expired";

    /// <summary>Every status, pending first.</summary>
    public static IReadOnlyList<string> All { get; } = [Pending, Approved, Rejected, Expired];
}

/// <summary>How a decided request ended.</summary>
public static class ApprovalOutcomes
{
    /// <summary>Approved with the arguments the agent proposed.</summary>
    public const string Approved = "approved";

    /// <summary>Approved with other arguments: the token binds to <see cref="Approval.ApprovedArgs"/>.</summary>
    public const string Modified = "modified";

    /// <summary>Rejected by a person.</summary>
    public const string Rejected = "rejected";

    /// <summary>Nobody decided in time.</summary>
    public const string Expired = "expired";
}

/// <summary>How urgent a request is; the inbox lists the most severe first.</summary>
public static class ApprovalSeverities
{
    /// <summary>Can wait.</summary>
    public const string Low = "low";

    /// <summary>The default.</summary>
    public const string Medium = "medium";

    /// <summary>Soon; an exceeded budget that asks for approval is high.</summary>
    public const string High = "high";

    /// <summary>Now.</summary>
    public const string Critical = "critical";

    /// <summary>Every severity, from the least urgent.</summary>
    public static IReadOnlyList<string> All { get; } = [Low, Medium, High, Critical];
}

/// <summary>Filters on the approval inbox; both are optional and combine with AND.</summary>
public sealed record ApprovalQuery
{
    /// <summary>Only requests with this status (one of <see cref="ApprovalStatuses.All"/>).</summary>
    public string? Status { get; init; }

    /// <summary>Only requests of this queue.</summary>
    public string? Queue { get; init; }
}

/// <summary>One line of the approval inbox.</summary>
/// <param name="Id">The request's id, <c>apr_…</c>.</param>
/// <param name="Status">One of <see cref="ApprovalStatuses.All"/>.</param>
/// <param name="Outcome">How it ended (<see cref="ApprovalOutcomes"/>); null while pending.</param>
/// <param name="Queue">The queue it waits in: the deciding rule's route, or <c>default</c>.</param>
/// <param name="Severity">One of <see cref="ApprovalSeverities.All"/>.</param>
/// <param name="CreatedAt">When the gate opened it.</param>
/// <param name="ExpiresAt">When it expires if nobody decides.</param>
/// <param name="DecidedAt">When it was decided or expired; null while pending.</param>
/// <param name="DecidedBy">The id of the key that decided; null while pending and for an expiry.</param>
/// <param name="Agent">The agent that asked.</param>
/// <param name="RunId">The run it belongs to.</param>
/// <param name="Tool">The tool the agent wants to call.</param>
/// <param name="Rule">The rule that asked for approval.</param>
/// <param name="Message">What the rule says.</param>
/// <param name="ArgsHash">The hash of the arguments the agent proposed.</param>
public sealed record ApprovalSummary(
    string Id,
    string Status,
    string? Outcome,
    string Queue,
    string Severity,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? DecidedAt,
    string? DecidedBy,
    string Agent,
    string? RunId,
    string Tool,
    string? Rule,
    string? Message,
    string ArgsHash);

/// <summary>One step of the run before the request, from the run's trace.</summary>
/// <param name="Name">The span's name.</param>
/// <param name="Kind">Its kind, such as <c>llm</c> or <c>tool</c>.</param>
/// <param name="Status">Its status, such as <c>ok</c> or <c>error</c>.</param>
/// <param name="DurationMs">How long it took, in milliseconds.</param>
/// <param name="CostUsd">What it cost; null when unknown.</param>
public sealed record ApprovalRunStep(string Name, string Kind, string Status, double DurationMs, decimal? CostUsd);

/// <summary>The run so far: its most recent steps and its totals.</summary>
/// <param name="Steps">The last steps (at most 20), oldest first.</param>
/// <param name="CostUsd">The run's cost so far; null when unknown.</param>
/// <param name="DurationMs">How long the run has taken so far, in milliseconds.</param>
/// <param name="StepCount">How many steps the run has had.</param>
public sealed record ApprovalRunEvidence(IReadOnlyList<ApprovalRunStep> Steps, decimal? CostUsd, double DurationMs, int StepCount);

/// <summary>What a person decides on.</summary>
/// <param name="Args">The proposed arguments, redacted as the policy's obligations say.</param>
/// <param name="Context">What the agent sent as <c>context</c>.</param>
/// <param name="Run">The run so far, when the request belongs to a run with a trace.</param>
/// <param name="Reason">The agent's <c>context.reason</c>, else its <c>context.confidence</c>; null when it sent neither.</param>
public sealed record ApprovalEvidence(JsonElement? Args, JsonElement? Context, ApprovalRunEvidence? Run, JsonElement? Reason);

/// <summary>An approval request with its evidence and, once decided, the decision.</summary>
public sealed record Approval
{
    /// <summary>The request's id, <c>apr_…</c>.</summary>
    public required string Id { get; init; }

    /// <summary>One of <see cref="ApprovalStatuses.All"/>.</summary>
    public required string Status { get; init; }

    /// <summary>How it ended (<see cref="ApprovalOutcomes"/>); null while pending.</summary>
    public string? Outcome { get; init; }

    /// <summary>The queue it waits in: the deciding rule's route, or <c>default</c>.</summary>
    public required string Queue { get; init; }

    /// <summary>One of <see cref="ApprovalSeverities.All"/>.</summary>
    public required string Severity { get; init; }

    /// <summary>When the gate opened it.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it expires if nobody decides.</summary>
    public DateTimeOffset ExpiresAt { get; init; }

    /// <summary>When it was decided or expired; null while pending.</summary>
    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>The id of the key that decided; null while pending and for an expiry.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>The name of the key that decided.</summary>
    public string? DecidedByName { get; init; }

    /// <summary>The approver's note.</summary>
    public string? Note { get; init; }

    /// <summary>The gate decision that asked for approval.</summary>
    public required string DecisionId { get; init; }

    /// <summary>The agent that asked.</summary>
    public required string Agent { get; init; }

    /// <summary>The agent's release.</summary>
    public string? Release { get; init; }

    /// <summary>The run it belongs to; a token is redeemed only in this run.</summary>
    public string? RunId { get; init; }

    /// <summary>The session.</summary>
    public string? SessionId { get; init; }

    /// <summary>Who the agent acted for.</summary>
    public string? PrincipalId { get; init; }

    /// <summary>The tool the agent wants to call.</summary>
    public required string Tool { get; init; }

    /// <summary>The tool's server.</summary>
    public string? Server { get; init; }

    /// <summary>The policy version that asked; a token is redeemed only while it is still the active one.</summary>
    public PolicyReference? Policy { get; init; }

    /// <summary>The rule that asked.</summary>
    public string? Rule { get; init; }

    /// <summary>What the rule says.</summary>
    public string? Message { get; init; }

    /// <summary>The hash of the arguments the agent proposed.</summary>
    public required string ArgsHash { get; init; }

    /// <summary>What the approver saw: arguments, context, the run so far, the agent's reason.</summary>
    public ApprovalEvidence? Evidence { get; init; }

    /// <summary>Once approved, the arguments the token binds to: the approver's when <see cref="Outcome"/> is
    /// <see cref="ApprovalOutcomes.Modified"/>, else the proposed ones as stored (redacted; the agent repeats its own call
    /// with its own arguments).</summary>
    public JsonElement? ApprovedArgs { get; init; }

    /// <summary>The hash of the arguments the token binds to.</summary>
    public string? ApprovedArgsHash { get; init; }

    /// <summary>The single-use approval token (<c>rat_…</c>) to send as <see cref="GateRequest.ApprovalToken"/>. Only an
    /// agent key receives it, and only while it is unused and unexpired.</summary>
    public string? Token { get; init; }

    /// <summary>Until when <see cref="Token"/> can be redeemed.</summary>
    public DateTimeOffset? TokenExpiresAt { get; init; }

    /// <summary>True while nobody has decided and it has not expired.</summary>
    [JsonIgnore]
    public bool IsPending => Status == ApprovalStatuses.Pending;
}

/// <summary>One human decision as labelled data (a line of <see cref="ApprovalsClient.ExportAsync"/>): what the agent
/// proposed, what the person decided and changed, and why.</summary>
/// <param name="RequestId">The request's id.</param>
/// <param name="DecidedAt">When it was decided.</param>
/// <param name="DecidedBy">Who decided (the key's name, else its id).</param>
/// <param name="Outcome"><see cref="ApprovalOutcomes.Approved"/>, <see cref="ApprovalOutcomes.Modified"/> or
/// <see cref="ApprovalOutcomes.Rejected"/>.</param>
/// <param name="Queue">The queue.</param>
/// <param name="Severity">The severity.</param>
/// <param name="Agent">The agent that asked.</param>
/// <param name="Release">Its release.</param>
/// <param name="RunId">The run.</param>
/// <param name="Tool">The tool.</param>
/// <param name="ProposedArgs">The agent's arguments (redacted).</param>
/// <param name="ApprovedArgs">The arguments approved; null for a rejection.</param>
/// <param name="ChangedFields">JSON paths the approver changed, such as <c>$.amount</c>.</param>
/// <param name="Rule">The rule that asked.</param>
/// <param name="Message">What it says.</param>
/// <param name="Policy">The policy version that asked.</param>
/// <param name="Context">The agent's <c>context</c>.</param>
/// <param name="Note">The approver's note.</param>
public sealed record FeedbackRecord(
    string RequestId,
    DateTimeOffset DecidedAt,
    string? DecidedBy,
    string Outcome,
    string Queue,
    string Severity,
    string Agent,
    string? Release,
    string? RunId,
    string Tool,
    JsonElement? ProposedArgs,
    JsonElement? ApprovedArgs,
    IReadOnlyList<string>? ChangedFields,
    string? Rule,
    string? Message,
    PolicyReference? Policy,
    JsonElement? Context,
    string? Note);

/// <summary>Time from request to human decision, in milliseconds; null when nothing was decided.</summary>
/// <param name="P50">The median.</param>
/// <param name="P95">The 95th percentile.</param>
public sealed record ApprovalDecisionTimes(double? P50, double? P95);

/// <summary>Requests opened in the window, by where they stand now.</summary>
/// <param name="Queue">The queue; null in the totals.</param>
/// <param name="Requests">Requests opened.</param>
/// <param name="Pending">Of those, still pending.</param>
/// <param name="Approved">Approved as asked.</param>
/// <param name="Modified">Approved with modified arguments.</param>
/// <param name="Rejected">Rejected.</param>
/// <param name="Expired">Expired undecided.</param>
/// <param name="TimeToDecisionMs">Time to a human decision.</param>
public sealed record ApprovalQueueStats(
    string? Queue,
    int Requests,
    int Pending,
    int Approved,
    int Modified,
    int Rejected,
    int Expired,
    ApprovalDecisionTimes? TimeToDecisionMs);

/// <summary>Approval statistics for a window.</summary>
/// <param name="Since">The start of the window; null from a server that does not say.</param>
/// <param name="ByQueue">Per queue, by name.</param>
/// <param name="Totals">All queues together.</param>
public sealed record ApprovalStats(DateTimeOffset? Since, IReadOnlyList<ApprovalQueueStats> ByQueue, ApprovalQueueStats Totals);

/// <summary>A queue's settings.</summary>
/// <param name="Name">The queue's name (a rule's <c>route</c>).</param>
/// <param name="Expiry">How long its requests stay open, as the server writes it (<c>30m</c>); null when they take the
/// policy's <c>approval_expiry</c> or the server's default.</param>
/// <param name="CreatedAt">When it was first set.</param>
/// <param name="UpdatedAt">When it was last set.</param>
public sealed record ApprovalQueue(string Name, string? Expiry, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A queue's webhook; its secret is never returned.</summary>
/// <param name="Queue">The queue.</param>
/// <param name="Url">Where new requests of the queue are posted.</param>
/// <param name="CreatedAt">When it was first set.</param>
/// <param name="UpdatedAt">When it was last set.</param>
public sealed record ApprovalWebhook(string Queue, string Url, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
