using System.Text.Json;
using System.Text.Json.Serialization;
using Rein.Server.Policies;

namespace Rein.Server.Approvals;

/// <summary>Where a request stands. A modification is status approved with outcome modified.</summary>
public static class ApprovalStatuses
{
    public const string Pending = "pending";
    public const string Approved = "approved";
    public const string Rejected = "rejected";
    public const string Expired = "expired";

    public static IReadOnlyList<string> All { get; } = [Pending, Approved, Rejected, Expired];
}

/// <summary>How a request ended: approved, modified (approved with other arguments), rejected or expired.</summary>
public static class ApprovalOutcomes
{
    public const string Approved = "approved";
    public const string Modified = "modified";
    public const string Rejected = "rejected";
    public const string Expired = "expired";
}

/// <summary>Filters of the inbox; null means any.</summary>
public sealed record ApprovalFilter
{
    public string? Status { get; init; }

    public string? Queue { get; init; }
}

/// <summary>One line of the inbox.</summary>
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

/// <summary>A page of the inbox and the cursor of the next one (null at the end).</summary>
public sealed record ApprovalPage(IReadOnlyList<ApprovalSummary> Items, string? Next);

/// <summary>One step of the run before the request, from its trace.</summary>
public sealed record ApprovalRunStep(string Name, string Kind, string Status, double DurationMs, decimal? CostUsd);

/// <summary>The run so far: its most recent steps and its totals; cost is null when unknown.</summary>
public sealed record ApprovalRunEvidence(IReadOnlyList<ApprovalRunStep> Steps, decimal? CostUsd, double DurationMs, int StepCount);

/// <summary>What a person decides on: the arguments and context as stored (redacted), the run so far, and what the
/// agent gave as its reason (<c>context.reason</c>, else <c>context.confidence</c>).</summary>
public sealed record ApprovalEvidence(JsonElement? Args, JsonElement? Context, ApprovalRunEvidence? Run, JsonElement? Reason);

/// <summary>An approval request as the API answers it. <see cref="Token"/> is only in the answer to the key whose gate
/// call opened the request, while the approval's token is unused and unexpired.</summary>
public sealed record ApprovalResponse
{
    public required string Id { get; init; }

    public required string Status { get; init; }

    public string? Outcome { get; init; }

    public required string Queue { get; init; }

    public required string Severity { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>The id of the key that decided; null while pending and for an expiry.</summary>
    public string? DecidedBy { get; init; }

    /// <summary>The name of the key that decided.</summary>
    public string? DecidedByName { get; init; }

    public string? Note { get; init; }

    public required string DecisionId { get; init; }

    public required string Agent { get; init; }

    public string? Release { get; init; }

    public string? RunId { get; init; }

    public string? SessionId { get; init; }

    /// <summary>The trace the gate call was part of, when the agent passed one: the run's steps and this request's
    /// decision span are in it.</summary>
    public string? TraceId { get; init; }

    public string? PrincipalId { get; init; }

    public required string Tool { get; init; }

    public string? Server { get; init; }

    public PolicyRef? Policy { get; init; }

    public string? Rule { get; init; }

    public string? Message { get; init; }

    public required string ArgsHash { get; init; }

    public required ApprovalEvidence Evidence { get; init; }

    /// <summary>The arguments the token binds to: the approver's when modified, else the proposed ones as stored
    /// (redacted where the policy redacts; the agent repeats its own call).</summary>
    public JsonElement? ApprovedArgs { get; init; }

    public string? ApprovedArgsHash { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Token { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? TokenExpiresAt { get; init; }
}

/// <summary>The body of <c>POST /api/v1/approvals/{id}/approve</c>.</summary>
public sealed record ApproveRequest(string? Note, JsonElement? Args);

/// <summary>The body of <c>POST /api/v1/approvals/{id}/reject</c>.</summary>
public sealed record RejectRequest(string? Note);

/// <summary>One human decision as labelled data: what the agent proposed, what the person decided and changed, and why.</summary>
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
    IReadOnlyList<string> ChangedFields,
    string? Rule,
    string? Message,
    PolicyRef? Policy,
    JsonElement? Context,
    string? Note);

/// <summary>Time from request to human decision, in milliseconds; null when nothing was decided.</summary>
public sealed record DecisionTimes(double? P50, double? P95);

/// <summary>Requests opened in the window, by where they stand now. <see cref="Queue"/> is absent in the totals.</summary>
public sealed record ApprovalQueueStats(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Queue,
    int Requests,
    int Pending,
    int Approved,
    int Modified,
    int Rejected,
    int Expired,
    DecisionTimes TimeToDecisionMs);

public sealed record ApprovalStats(DateTimeOffset Since, IReadOnlyList<ApprovalQueueStats> ByQueue, ApprovalQueueStats Totals);

/// <summary>The body of <c>PUT /api/v1/approvals/queues/{name}</c>.</summary>
public sealed record QueueRequest(string? Expiry);

/// <summary>A queue's settings; <see cref="Expiry"/> is null when its requests take the policy's or the default.</summary>
public sealed record ApprovalQueue(string Name, string? Expiry, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A queue with requests waiting: how many and since when (the oldest).</summary>
public sealed record PendingQueue(string Queue, int Pending, DateTimeOffset OldestAt);
