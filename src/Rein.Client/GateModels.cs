using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Rein.Client;

/// <summary>What the gate answers, in increasing order of restriction. On the wire: <c>allow</c>, <c>confirm</c>,
/// <c>require_approval</c>, <c>deny</c>. An effect this client does not know fails the answer's reading (an
/// <see cref="HttpRequestException"/>), so an unknown effect is never taken for allow.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<GateEffect>))]
public enum GateEffect
{
    /// <summary>Go ahead.</summary>
    [JsonStringEnumMemberName("allow")]
    Allow = 0,

    /// <summary>Ask the user in the conversation before acting.</summary>
    [JsonStringEnumMemberName("confirm")]
    Confirm = 1,

    /// <summary>A person (of the decision's route) must approve first.</summary>
    [JsonStringEnumMemberName("require_approval")]
    RequireApproval = 2,

    /// <summary>Do not act.</summary>
    [JsonStringEnumMemberName("deny")]
    Deny = 3,
}

/// <summary>The names effects have on the wire, in policy files and in the CLI.</summary>
public static class GateEffects
{
    /// <summary>The wire name of an effect: <c>allow</c>, <c>confirm</c>, <c>require_approval</c>, <c>deny</c>.</summary>
    /// <param name="effect">The effect.</param>
    /// <returns>Its name.</returns>
    public static string ToName(this GateEffect effect) => effect switch
    {
        GateEffect.Allow => "allow",
        GateEffect.Confirm => "confirm",
        GateEffect.RequireApproval => "require_approval",
        GateEffect.Deny => "deny",
        _ => throw new ArgumentOutOfRangeException(nameof(effect), effect, "not an effect"),
    };

    /// <summary>Reads a wire name (exactly, lowercase).</summary>
    /// <param name="name">The name.</param>
    /// <param name="effect">The effect, when the name is one.</param>
    /// <returns>True when the name is an effect's.</returns>
    public static bool TryParse(string? name, out GateEffect effect)
    {
        foreach (var candidate in All)
        {
            if (candidate.ToName() == name)
            {
                effect = candidate;
                return true;
            }
        }

        effect = default;
        return false;
    }

    /// <summary>Every effect, from the least restrictive.</summary>
    public static IReadOnlyList<GateEffect> All { get; } = [GateEffect.Allow, GateEffect.Confirm, GateEffect.RequireApproval, GateEffect.Deny];
}

/// <summary>Who the agent acts for: its end user, with roles and attributes policies can read.</summary>
/// <param name="Id">The principal's id.</param>
/// <param name="Roles">Its roles.</param>
/// <param name="Attributes">Anything else, as a JSON object (<c>principal.attributes</c> in expressions).</param>
public sealed record GatePrincipal(string? Id = null, IReadOnlyList<string>? Roles = null, JsonObject? Attributes = null);

/// <summary>One action an agent is about to take, for <see cref="GateClient.DecideAsync"/>.</summary>
public sealed record GateRequest
{
    /// <summary>The agent's name (<c>agent.name</c>); policies bind to agents by it. With an agent key the agent is the
    /// key's name: leave this out or send exactly that name (another name, even in another case, is refused with 403).
    /// A key of another role names the agent in <see cref="ActAs"/> instead.</summary>
    public string? Agent { get; init; }

    /// <summary>The agent a key that is not an agent key (an admin's) acts for; every such call is audited
    /// (<c>gate.act_as</c>). Null with an agent key.</summary>
    public string? ActAs { get; init; }

    /// <summary>The tool the agent wants to call (<c>tool.name</c>).</summary>
    public required string Tool { get; init; }

    /// <summary>The agent's version or release (<c>agent.release</c>).</summary>
    public string? Release { get; init; }

    /// <summary>The run (trace id) the action belongs to; budgets and <c>run.called</c> count per run. Null for an action
    /// outside any run.</summary>
    public string? RunId { get; init; }

    /// <summary>The session (conversation).</summary>
    public string? SessionId { get; init; }

    /// <summary>The run that started this one, for sub-agents (their depth counts against <c>max_depth</c>).</summary>
    public string? ParentRunId { get; init; }

    /// <summary>Who the agent acts for.</summary>
    public GatePrincipal? Principal { get; init; }

    /// <summary>The server the tool lives on, such as an MCP server's name (<c>tool.server</c>).</summary>
    public string? Server { get; init; }

    /// <summary>The tool's arguments (<c>args</c>).</summary>
    public JsonObject? Args { get; init; }

    /// <summary>Anything else the agent knows, such as its confidence (<c>context</c>).</summary>
    public JsonObject? Context { get; init; }

    /// <summary>The W3C <c>traceparent</c> of the caller's span; the decision is recorded as its child span.</summary>
    public string? Traceparent { get; init; }

    /// <summary>The single-use token of an approved request (<see cref="Approval.Token"/>, <c>rat_…</c>). With it, the
    /// gate allows this call exactly once when it is the same run and tool, the arguments are the approved ones
    /// (<see cref="Approval.ApprovedArgs"/> when modified, else the proposed ones) and the policy version that asked is
    /// still active; otherwise it denies with the rule <c>approval.invalid_token</c> saying which check failed. Kill
    /// switches still apply.</summary>
    public string? ApprovalToken { get; init; }
}

/// <summary>Why the gate decided as it did.</summary>
/// <param name="Rule">The rule's name, or <c>default</c>, <c>budget.max_steps</c>, <c>kill.tool</c> and the like.</param>
/// <param name="Message">What the rule says.</param>
public sealed record DecisionReason(string Rule, string Message);

/// <summary>A rate limit the action counts against.</summary>
/// <param name="Rule">The rule that set it.</param>
/// <param name="Key">The key the count is kept under.</param>
/// <param name="Limit">At most this many calls per window.</param>
/// <param name="Window">The window, as the server writes it.</param>
public sealed record DecisionRateLimit(string Rule, string Key, int Limit, string Window);

/// <summary>What the agent (and Rein) must do along with the action.</summary>
/// <param name="Redact">Argument paths removed from everything stored about the decision.</param>
/// <param name="RateLimits">Rate limits the action counts against.</param>
public sealed record DecisionObligations(IReadOnlyList<string> Redact, IReadOnlyList<DecisionRateLimit> RateLimits);

/// <summary>A policy version, as a decision names it.</summary>
/// <param name="Name">The policy's name.</param>
/// <param name="Version">The version.</param>
/// <param name="Hash">The version's hash.</param>
public sealed record PolicyReference(string Name, int Version, string Hash);

/// <summary>The approval request a <see cref="GateEffect.RequireApproval"/> decision opened, bound to exactly these
/// arguments. Wait on it with <see cref="ApprovalsClient.WaitAsync"/>.</summary>
/// <param name="Route">Who should approve (the deciding rule's route, as written), if any.</param>
/// <param name="ArgsHash">The hash of exactly these arguments.</param>
public sealed record DecisionApproval(string? Route, string ArgsHash)
{
    /// <summary>The request's id, <c>apr_…</c>; null from a server without approval requests.</summary>
    public string? RequestId { get; init; }

    /// <summary>Its status: <see cref="ApprovalStatuses.Pending"/> when just opened.</summary>
    public string? Status { get; init; }

    /// <summary>The queue it waits in: the route, or <c>default</c>.</summary>
    public string? Queue { get; init; }

    /// <summary>One of <see cref="ApprovalSeverities.All"/>.</summary>
    public string? Severity { get; init; }

    /// <summary>When it expires if nobody decides (it then counts as denied).</summary>
    public DateTimeOffset? ExpiresAt { get; init; }
}

/// <summary>What a policy in audit mode, or one in warn mode, would have decided.</summary>
/// <param name="Policy">The policy's name.</param>
/// <param name="Version">Its version.</param>
/// <param name="Mode">One of <see cref="PolicyModes.All"/>.</param>
/// <param name="Effect">What it would have answered.</param>
/// <param name="Rules">The rules that matched.</param>
public sealed record ShadowDecision(string Policy, int Version, string Mode, GateEffect Effect, IReadOnlyList<string> Rules);

/// <summary>The gate's answer for one action.</summary>
/// <param name="DecisionId">The decision's id in the decision log.</param>
/// <param name="Effect">What to do.</param>
/// <param name="Reasons">The deciding rules and their messages.</param>
/// <param name="Obligations">Redactions and rate limits.</param>
/// <param name="Policy">The policy version that decided; null when a kill switch or no policy did.</param>
/// <param name="Mode">The deciding policy's mode.</param>
/// <param name="Approval">For <see cref="GateEffect.RequireApproval"/>: the route and the arguments' hash.</param>
/// <param name="Shadow">What audit- and warn-mode policies would have decided.</param>
public sealed record Decision(
    string DecisionId,
    GateEffect Effect,
    IReadOnlyList<DecisionReason> Reasons,
    DecisionObligations? Obligations,
    PolicyReference? Policy,
    string? Mode,
    DecisionApproval? Approval,
    IReadOnlyList<ShadowDecision>? Shadow);
