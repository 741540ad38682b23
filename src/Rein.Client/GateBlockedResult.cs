using System.Text.Json.Serialization;

namespace Rein.Client;

/// <summary>
/// What a gated function returns instead of running when the gate answers <see cref="GateEffect.Confirm"/> or
/// <see cref="GateEffect.RequireApproval"/>: the tool did not run. An agent that checks results
/// (<c>result is GateBlockedResult blocked</c>) can ask its user to confirm or wait for the approval and call again; one
/// that passes results to the model as they are gives it <see cref="Message"/> and the fields below as JSON.
/// </summary>
/// <param name="Tool">The tool's name as the gate saw it.</param>
/// <param name="Effect"><see cref="GateEffect.Confirm"/> or <see cref="GateEffect.RequireApproval"/>.</param>
/// <param name="DecisionId">The decision in the decision log.</param>
/// <param name="Reasons">The deciding rules and their messages.</param>
/// <param name="Route">Who should approve, for <see cref="GateEffect.RequireApproval"/>; null when the rule names nobody.</param>
/// <param name="Message">A sentence for the model: the tool did not run, and why.</param>
public sealed record GateBlockedResult(
    string Tool,
    GateEffect Effect,
    string DecisionId,
    IReadOnlyList<DecisionReason> Reasons,
    string? Route,
    string Message)
{
    /// <summary>For <see cref="GateEffect.RequireApproval"/>: the approval request the gate opened, to wait on with
    /// <see cref="ApprovalsClient.WaitAsync"/>; null for confirm, and from a server without approval requests.</summary>
    public string? ApprovalRequestId { get; init; }

    /// <summary>The gate's whole answer (not sent to the model).</summary>
    [JsonIgnore]
    public Decision? Decision { get; init; }

    /// <summary>The <see cref="Message"/>.</summary>
    /// <returns>The message.</returns>
    public override string ToString() => Message;
}
