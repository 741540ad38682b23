using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Rein.Client;

/// <summary>Who is calling gated functions, for <see cref="GatedFunctionExtensions.WithGate"/>. One instance can be shared
/// by all of an agent's tools.</summary>
public sealed record GateOptions
{
    /// <summary>The agent's name; policies bind to agents by it.</summary>
    public required string Agent { get; init; }

    /// <summary>The agent's version or release.</summary>
    public string? Release { get; init; }

    /// <summary>The run every call belongs to, when it is fixed. See <see cref="RunIdProvider"/>.</summary>
    public string? RunId { get; init; }

    /// <summary>Gives the current run's id at each call; wins over <see cref="RunId"/>. With neither, the run is the trace of
    /// <see cref="System.Diagnostics.Activity.Current"/> (a Rein run is a trace), and none outside an activity.</summary>
    public Func<string?>? RunIdProvider { get; init; }

    /// <summary>The run that started this agent's run, for sub-agents.</summary>
    public string? ParentRunId { get; init; }

    /// <summary>The session (conversation).</summary>
    public string? SessionId { get; init; }

    /// <summary>Who the agent acts for.</summary>
    public GatePrincipal? Principal { get; init; }

    /// <summary>The server the tools live on, such as an MCP server's name.</summary>
    public string? Server { get; init; }

    /// <summary>Gives the <c>context</c> of each call (the agent's confidence, the channel, ...) from its arguments;
    /// null for none.</summary>
    public Func<AIFunctionArguments, JsonObject?>? ContextProvider { get; init; }

    /// <summary>How long a gated function waits for a person when the gate answers require_approval; null (the default)
    /// not to wait but to return a <see cref="GateBlockedResult"/> at once. While waiting, the invocation does not return.
    /// Approved: the function repeats its gate call with the approval token and the approved arguments (the approver's,
    /// when they modified them) and, allowed, runs with those arguments. Rejected, expired, or still pending when the wait
    /// ends: it does not run, and returns a string for the model saying so. <see cref="Timeout.InfiniteTimeSpan"/> waits
    /// until the request is decided or expires. Needs an agent key: only agent keys receive approval tokens.</summary>
    public TimeSpan? WaitForApproval { get; init; }
}
