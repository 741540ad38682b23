using Microsoft.AspNetCore.Http;
using Rein.Core.Identity;

namespace Rein.Server.Identity;

/// <summary>The agent a request acts as, resolved from its key.</summary>
/// <param name="Agent">The agent's name.</param>
/// <param name="ActingAs">True when a key that is not an agent key acts for the agent (<c>actAs</c>): such calls are
/// audited.</param>
public readonly record struct ActingAgent(string Agent, bool ActingAs);

/// <summary>
/// Which agent a request speaks for: an agent key's agent is the key's name, whatever a body says; any other key acting
/// for an agent names it explicitly (<c>actAs</c>) and is audited. Agent names compare exactly (ordinal, case
/// included): <c>AgentA</c> and <c>agentA</c> are two agents. docs/concepts.md ("Agents and their keys") states the rule
/// once; every transport (the gate, OTLP ingest, approvals, the tool gateway) applies it through this class.
/// </summary>
public static class AgentIdentity
{
    /// <summary>The one comparison of agent names.</summary>
    public static readonly StringComparer Comparer = StringComparer.Ordinal;

    public static bool Same(string? a, string? b) => string.Equals(a, b, StringComparison.Ordinal);

    /// <summary>The agent of an agent key, or null for a key of another role.</summary>
    public static string? BoundAgent(Caller caller)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.Role == Role.Agent ? caller.KeyName : null;
    }

    /// <summary>
    /// The agent a call acts as, from the key and what the body said (<paramref name="claimed"/>: the body's
    /// <c>agent</c>; <paramref name="actAs"/>: the body's <c>actAs</c>).
    /// </summary>
    /// <exception cref="ReinProblemException">403 when the body names an agent the key may not act as (the reason names
    /// both); 400 when a key that is not an agent key names no agent.</exception>
    public static ActingAgent Resolve(Caller caller, string? claimed, string? actAs)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (claimed is { Length: 0 })
        {
            throw ReinProblemException.Invalid("agent", "is empty; leave it out to act as this key's agent");
        }

        if (actAs is { Length: 0 })
        {
            throw ReinProblemException.Invalid("actAs", "is empty; name the agent this key acts for");
        }

        if (BoundAgent(caller) is { } own)
        {
            if (actAs is not null && !Same(actAs, own))
            {
                throw Refused($"actAs '{actAs}' is not this key's agent: an agent key acts only as its own agent '{own}' (its name; names compare exactly, case included)");
            }

            if (claimed is not null && !Same(claimed, own))
            {
                throw Refused($"this key's agent is '{own}' but the request names agent '{claimed}': an agent key acts only as its own agent (its name; names compare exactly, case included). Leave agent out or send '{own}'");
            }

            return new ActingAgent(own, ActingAs: false);
        }

        var role = caller.Role.ToName();
        if (actAs is null)
        {
            throw claimed is null
                ? ReinProblemException.Invalid("actAs", $"is required: a{(role == "admin" ? "n" : "")} {role} key is not an agent; name the agent it acts for with actAs (the call is audited), or use the agent's own key")
                : Refused($"a{(role == "admin" ? "n" : "")} {role} key is not agent '{claimed}': to act for it, send actAs: '{claimed}' instead of agent (the call is audited), or use the agent's own key");
        }

        if (claimed is not null && !Same(claimed, actAs))
        {
            throw Refused($"the request names agent '{claimed}' but acts as '{actAs}': send one of them (names compare exactly, case included)");
        }

        return new ActingAgent(actAs, ActingAs: true);
    }

    /// <summary>403 for a call whose agent is not the key's: the same words on every transport.</summary>
    public static void Demand(Caller caller, string agent)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (BoundAgent(caller) is { } own && !Same(own, agent))
        {
            throw Refused($"this key's agent is '{own}' but the call is for agent '{agent}': an agent key acts only as its own agent (names compare exactly, case included)");
        }
    }

    /// <summary>403 for a run or trace another agent started.</summary>
    public static ReinProblemException ForeignRun(string what, string id, string owner, string agent) =>
        Refused($"{what} {id} belongs to agent '{owner}', which started it; agent '{agent}' may not act in it. Start a run of its own (a sub-agent names the other run as parentRunId)");

    private static ReinProblemException Refused(string detail) => new(StatusCodes.Status403Forbidden, "Forbidden", detail);
}
