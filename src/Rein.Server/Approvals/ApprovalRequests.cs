using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using Rein.Core.Policies;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Approvals;

/// <summary>What checking an approval token found: the request it approves, or why it cannot be used.</summary>
internal sealed record TokenCheck(ApprovalRow? Request, DecisionReason? Failure);

/// <summary>
/// The gate's side of approvals, run inside the gate writer's transaction: opening a request for an enforced
/// require_approval (so the decision and its request commit together, or neither does), and checking and using an
/// approval token (so a token allows exactly one recorded decision, on every replica).
/// </summary>
internal sealed class ApprovalRequests(ApprovalsOptions options, IApprovalEvents events)
{
    /// <summary>The reason rule of every refused token.</summary>
    public const string InvalidTokenRule = "approval.invalid_token";

    /// <summary>The reason rule added when the policy denies a call whose token is valid: the token stays unused.</summary>
    public const string UnusedTokenRule = "approval.not_used";

    /// <summary>Opens a request for a decision (or finds the one the same run already opened for the same call).</summary>
    public async Task<ApprovalHint> OpenAsync(
        DbConnection c, DbTransaction t, Caller caller, GateCall call, string argsHash, Decided decided, string decisionId, string evidence, string? traceId, DateTimeOffset now)
    {
        var projectId = caller.ProjectId;
        var nowMs = now.ToUnixTimeMilliseconds();
        var queue = decided.Route ?? ApprovalQueueNames.Default;
        if (call.RunId is { } runId && await ApprovalStore.FindPendingAsync(c, t, projectId, runId, call.Agent, caller.KeyId, call.Tool, argsHash, nowMs) is { } open)
        {
            return Hint(open, decided.Route);
        }

        var expiry = decided.Policy?.Policy.ApprovalExpiry
            ?? (await ApprovalStore.QueueExpiryAsync(c, t, projectId, queue) is { } queueMs ? TimeSpan.FromMilliseconds(queueMs) : options.DefaultExpiry);
        var reason = decided.Reasons.Count > 0 ? decided.Reasons[0] : null;
        var row = new ApprovalRow
        {
            ProjectId = projectId,
            Id = ApprovalIds.New(now),
            Queue = queue,
            Status = ApprovalStatuses.Pending,
            Severity = decided.Severity.ToName(),
            CreatedAt = nowMs,
            CreatedNs = Policies.DecisionSpans.UnixNanos(now),
            ExpiresAt = nowMs + (long)expiry.TotalMilliseconds,
            DecisionId = decisionId,
            Agent = call.Agent,
            Release = call.Release,
            RunId = call.RunId,
            SessionId = call.SessionId,
            PrincipalId = call.PrincipalId,
            Tool = call.Tool,
            Server = call.Server,
            PolicyName = decided.Policy?.Policy.Name,
            PolicyVersion = decided.Policy?.Version,
            PolicyHash = decided.Policy?.Policy.Hash,
            Rule = reason?.Rule,
            Message = reason?.Message,
            ArgsHash = argsHash,
            Evidence = evidence,
            TraceId = traceId,
            ParentSpanId = call.ParentSpanId,
            RequestedBy = caller.KeyId,
        };
        await ApprovalStore.InsertAsync(c, t, row);
        using var stored = JsonDocument.Parse(evidence);
        var args = stored.RootElement.TryGetProperty("args", out var a) ? a.Clone() : NullElement;
        await events.RequestCreatedAsync(c, t, new ApprovalCreated(
            projectId, row.Id, row.Queue, row.Severity, row.Agent, row.Tool, row.Rule, row.Message,
            DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(row.ExpiresAt), args));
        return Hint(row, decided.Route);
    }

    /// <summary>Checks a token against the call, in the order the contract lists; nothing is changed.</summary>
    public static async Task<TokenCheck> CheckTokenAsync(DbConnection c, DbTransaction t, Caller caller, string token, GateCall call, string argsHash, GateRules rules, long nowMs)
    {
        var request = await ApprovalStore.FindByTokenAsync(c, t, caller.ProjectId, ApprovalTokens.Hash(token));
        if (request is null)
        {
            return Fail(null, "the approval token is unknown to this project");
        }

        var id = request.Id;
        if (request.TokenUsedAt is not null)
        {
            return Fail(request, $"the approval token of {id} was already used (decision {request.TokenDecisionId}); an approval allows one call");
        }

        if (request.Status != ApprovalStatuses.Approved)
        {
            return Fail(request, $"request {id} is {request.Status}, not approved");
        }

        if (request.TokenExpiresAt is not { } expires || nowMs >= expires)
        {
            return Fail(request, $"the approval token of {id} expired at {Time(request.TokenExpiresAt ?? 0)}");
        }

        // Before anything that uses the token: another agent (or key) presenting it is refused and leaves it unused.
        if (!AgentIdentity.Same(request.Agent, call.Agent))
        {
            return Fail(request, $"{id} was asked by agent '{request.Agent}', not '{call.Agent}': only the agent whose call opened it may use its token");
        }

        if (request.RequestedBy is { } requestedBy && requestedBy != caller.KeyId)
        {
            return Fail(request, $"{id} was asked with key {requestedBy}, not this key ({caller.KeyId}): only the key whose call opened it may use its token");
        }

        if (!string.Equals(request.RunId, call.RunId, StringComparison.Ordinal))
        {
            return Fail(request, $"{id} was approved for another run ({request.RunId ?? "none"}), not run {call.RunId ?? "none"}");
        }

        if (!string.Equals(request.Tool, call.Tool, StringComparison.Ordinal))
        {
            return Fail(request, $"{id} was approved for another tool ({request.Tool}), not {call.Tool}");
        }

        if (!string.Equals(request.ApprovedArgsHash, argsHash, StringComparison.Ordinal))
        {
            return Fail(request, $"{id} was approved for other arguments ({request.ApprovedArgsHash}); these are {argsHash}");
        }

        var active = rules.Policies.FirstOrDefault(p => string.Equals(p.Policy.Name, request.PolicyName, StringComparison.Ordinal));
        if (request.PolicyName is null || active is null || active.Version != request.PolicyVersion)
        {
            var now = active is null ? "it is no longer active" : string.Create(CultureInfo.InvariantCulture, $"version {active.Version} is active now");
            return Fail(request, string.Create(CultureInfo.InvariantCulture,
                $"the policy changed since {id} was asked: policy {request.PolicyName ?? "none"} version {request.PolicyVersion} asked, and {now}"));
        }

        return new TokenCheck(request, null);
    }

    /// <summary>The ids of the decisions that redeemed an approval token since <paramref name="sinceMs"/> (at most
    /// <paramref name="limit"/>, oldest first), for a backtest to replay them as redemptions.</summary>
    public static async Task<HashSet<string>> RedemptionsSinceAsync(DbConnection c, string projectId, long sinceMs, int limit) =>
        [.. await ApprovalStore.TokenDecisionsSinceAsync(c, projectId, sinceMs, limit)];

    /// <summary>Uses the token for a decision; false when a concurrent decision used it first.</summary>
    public static Task<bool> UseTokenAsync(DbConnection c, DbTransaction t, ApprovalRow request, string decisionId, long nowMs) =>
        ApprovalStore.UseTokenAsync(c, t, request.ProjectId, request.Id, nowMs, decisionId);

    public static DecisionReason Allowed(ApprovalRow request) =>
        new("approval", $"approved as {request.Id} by {request.DecidedByName ?? request.DecidedBy ?? "an approver"}");

    public static DecisionReason UsedMeanwhile(ApprovalRow request) =>
        new(InvalidTokenRule, $"the approval token of {request.Id} was already used by another decision; an approval allows one call");

    private static TokenCheck Fail(ApprovalRow? request, string why) => new(request, new DecisionReason(InvalidTokenRule, why));

    private static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static ApprovalHint Hint(ApprovalRow row, string? route) =>
        new(row.Id, row.Status, row.Queue, row.Severity, DateTimeOffset.FromUnixTimeMilliseconds(row.ExpiresAt), row.ArgsHash, route);

    private static readonly JsonElement NullElement = JsonDocument.Parse("null").RootElement.Clone();
}
