using System.Diagnostics;
using System.Text.Json;
using Rein.Core.Expressions;
using Rein.Core.Identity;
using Rein.Core.Policies;
using Rein.Server.Identity;
using Rein.Server.Traces;

namespace Rein.Server.Policies;

/// <summary>
/// The gate: one decision before every action, from any transport (the HTTP API, the tool gateway). It checks the
/// call, hands it to the writer (which decides and records it) and fails closed: when the gate cannot decide, the
/// answer is deny with the reason, never an error the agent might read as permission.
/// </summary>
public sealed class GateService
{
    /// <summary>Longest agent, tool, release, run, session, server or principal name; longer ones are refused.</summary>
    public const int MaxNameLength = 256;

    /// <summary>Roles a principal may carry in one request.</summary>
    public const int MaxRoles = 64;

    private readonly GateWriter _writer;
    private readonly TraceQueries _traces;

    internal GateService(GateWriter writer, TraceQueries traces)
    {
        _writer = writer;
        _traces = traces;
    }

    /// <exception cref="ReinProblemException">400 naming the field when the call is malformed; 403 without the act
    /// permission, when an agent key's call is for another agent, or when the call names a run or trace another agent
    /// started.</exception>
    public async Task<GateDecision> DecideAsync(Caller caller, GateCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(call);
        Permissions.Demand(caller, Permission.Act);
        var started = Stopwatch.GetTimestamp();
        Check(call);
        AgentIdentity.Demand(caller, call.Agent);
        if (GateWriter.TraceIdOf(call) is { } traceId && await _traces.RunAgentAsync(caller.ProjectId, traceId, cancellationToken) is { } owner &&
            !AgentIdentity.Same(owner, call.Agent))
        {
            // The request's evidence and the decision's span would otherwise show, or land in, another agent's run.
            throw AgentIdentity.ForeignRun(call.TraceId is null ? "run" : "trace", traceId, owner, call.Agent);
        }

        var argsHash = ArgumentsHash.Compute(call.Args);
        var input = new GateInput
        {
            Agent = call.Agent,
            Release = call.Release,
            Tool = call.Tool,
            Server = call.Server,
            Args = Value(call.Args),
            PrincipalId = call.PrincipalId,
            PrincipalRoles = call.PrincipalRoles,
            PrincipalAttributes = Value(call.PrincipalAttributes),
            Context = Value(call.Context),
        };
        var pending = new GateWriter.Pending(caller, call, input, argsHash, started, new TaskCompletionSource<GateOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        try
        {
            return (await _writer.DecideAsync(pending, cancellationToken)).Decision;
        }
        catch (GateUnavailableException e)
        {
            return Unavailable(e.Message, argsHash);
        }
    }

    /// <summary>A decision that could not be made or recorded: deny, with why, under an id that is not in the log.</summary>
    internal static GateDecision Unavailable(string why, string argsHash) =>
        new(DecisionIds.New(DateTimeOffset.UtcNow), Effect.Deny.ToName(), [new ReasonResponse("gate.unavailable", "the gate could not decide, so it denies (fail closed): " + why)],
            ObligationsResponse.None, null, null, null, [])
        {
            EffectValue = Effect.Deny,
        };

    private static readonly IReadOnlyDictionary<string, object?> Empty = new Dictionary<string, object?>();

    private static object? Value(JsonElement? json) => json is { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } v ? Expression.FromJson(v) : Empty;

    private static void Check(GateCall call)
    {
        Name("agent", call.Agent, required: true);
        Name("tool", call.Tool, required: true);
        Name("release", call.Release);
        Name("runId", call.RunId);
        Name("sessionId", call.SessionId);
        Name("parentRunId", call.ParentRunId);
        Name("server", call.Server);
        Name("principal.id", call.PrincipalId);
        if (call.PrincipalRoles.Count > MaxRoles)
        {
            throw ReinProblemException.Invalid("principal.roles", $"has {call.PrincipalRoles.Count} roles; at most {MaxRoles} are accepted");
        }

        for (var i = 0; i < call.PrincipalRoles.Count; i++)
        {
            Name($"principal.roles[{i}]", call.PrincipalRoles[i], required: true);
        }

        if (call.ApprovalToken is { } token && !Approvals.ApprovalTokens.IsWellFormed(token))
        {
            throw ReinProblemException.Invalid("approvalToken", "is not an approval token: rat_ and 43 characters, as the approved request's answer gave it");
        }

        Object("args", call.Args);
        Object("context", call.Context);
        Object("principal.attributes", call.PrincipalAttributes);
    }

    private static void Name(string field, string? value, bool required = false)
    {
        if (value is null)
        {
            if (required)
            {
                throw ReinProblemException.Invalid(field, "is required");
            }

            return;
        }

        if (value.Length == 0 || value.Length > MaxNameLength || value.AsSpan().ContainsAny(Controls))
        {
            throw ReinProblemException.Invalid(field, $"must be 1 to {MaxNameLength} characters without control characters");
        }
    }

    private static void Object(string field, JsonElement? value)
    {
        if (value is { ValueKind: not JsonValueKind.Object and not JsonValueKind.Null and not JsonValueKind.Undefined })
        {
            throw ReinProblemException.Invalid(field, $"must be a JSON object, not {value.Value.ValueKind.ToString().ToLowerInvariant()}");
        }

        // Hashing and the policy's values read every text; text that is not Unicode is the client's mistake.
        JsonText.Check(field, value);
    }

    private static readonly System.Buffers.SearchValues<char> Controls = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 32).Select(i => (char)i), (char)127]);
}
