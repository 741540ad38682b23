using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Rein.Client;

/// <summary>
/// A Microsoft.Extensions.AI function with the Rein gate in front of it: every invocation first asks the gate with the
/// function's name and arguments, and runs the function only when the answer is <see cref="GateEffect.Allow"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><b>allow</b>: runs the function and returns its result.</item>
/// <item><b>deny</b>: does not run it; returns a string for the model saying the call was denied and why.</item>
/// <item><b>confirm</b>, <b>require_approval</b>: does not run it; returns a <see cref="GateBlockedResult"/> the agent can
/// detect (and the model reads as JSON).</item>
/// <item><b>no decision</b> (server unreachable, key refused, an answer it cannot read): does not run it and throws
/// <see cref="ReinGateUnavailableException"/>, so the agent knows the gate is down rather than that a policy said no.
/// A function-invoking chat client passes the exception's message to the model unless told to rethrow.</item>
/// </list>
/// Create one with <see cref="GatedFunctionExtensions.WithGate"/>.
/// </remarks>
public sealed class GatedFunction : DelegatingAIFunction
{
    private readonly ReinClient _client;
    private readonly GateOptions _options;

    /// <summary>Puts the gate in front of a function.</summary>
    /// <param name="innerFunction">The function to gate.</param>
    /// <param name="client">The client whose key (an agent's or an admin's) asks the gate.</param>
    /// <param name="options">Who is calling: agent, release, run, session, principal, context.</param>
    /// <param name="toolName">The tool's name for the gate (policies' <c>tools</c> globs match it); null for the function's
    /// <see cref="AITool.Name"/>. Useful where function names cannot hold dots and policies say
    /// <c>payments.refund</c>.</param>
    public GatedFunction(AIFunction innerFunction, ReinClient client, GateOptions options, string? toolName = null)
        : base(innerFunction)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Agent);
        _client = client;
        _options = options;
        ToolName = string.IsNullOrEmpty(toolName) ? innerFunction.Name : toolName;
    }

    /// <summary>The tool's name as the gate sees it.</summary>
    public string ToolName { get; }

    /// <summary>The gate request for one invocation, as <see cref="InvokeCoreAsync"/> sends it.</summary>
    /// <param name="arguments">The invocation's arguments.</param>
    /// <returns>The request.</returns>
    /// <exception cref="NotSupportedException">An argument cannot be written as JSON.</exception>
    public GateRequest CreateRequest(AIFunctionArguments arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var activity = Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current : null;
        return new GateRequest
        {
            Agent = _options.Agent,
            Release = _options.Release,
            Tool = ToolName,
            Server = _options.Server,
            RunId = _options.RunIdProvider?.Invoke() ?? _options.RunId ?? activity?.TraceId.ToHexString(),
            ParentRunId = _options.ParentRunId,
            SessionId = _options.SessionId,
            Principal = _options.Principal,
            Args = ToJson(arguments, JsonSerializerOptions ?? AIJsonUtilities.DefaultOptions),
            Context = _options.ContextProvider?.Invoke(arguments),
            Traceparent = activity?.Id,
        };
    }

    /// <inheritdoc />
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        Decision decision;
        try
        {
            decision = await _client.Gate.DecideAsync(CreateRequest(arguments), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or ReinApiException or OperationCanceledException or NotSupportedException or JsonException)
        {
            throw ReinGateUnavailableException.For(ToolName, e);
        }

        return decision.Effect switch
        {
            GateEffect.Allow => await base.InvokeCoreAsync(arguments, cancellationToken),
            GateEffect.Deny => DeniedMessage(ToolName, decision),
            _ => new GateBlockedResult(ToolName, decision.Effect, decision.DecisionId, decision.Reasons, decision.Approval?.Route, BlockedMessage(ToolName, decision))
            {
                Decision = decision,
            },
        };
    }

    /// <summary>The arguments as one JSON object, each value written with the function's serializer options.</summary>
    internal static JsonObject ToJson(AIFunctionArguments arguments, JsonSerializerOptions options)
    {
        var json = new JsonObject();
        foreach (var (name, value) in arguments)
        {
            json[name] = value switch
            {
                null => null,
                JsonNode node => node.DeepClone(),
                JsonElement { ValueKind: JsonValueKind.Undefined } => null,
                _ => JsonSerializer.SerializeToNode(value, options.GetTypeInfo(value.GetType())),
            };
        }

        return json;
    }

    internal static string DeniedMessage(string tool, Decision decision) =>
        $"Denied: the tool '{tool}' was not run. {Reasons(decision)}";

    internal static string BlockedMessage(string tool, Decision decision)
    {
        var what = decision.Effect == GateEffect.Confirm
            ? "needs the user's confirmation"
            : decision.Approval?.Route is { Length: > 0 } route ? $"needs approval ({route})" : "needs approval";
        return $"Not run yet: the call to '{tool}' {what} (decision {decision.DecisionId}). {Reasons(decision)}";
    }

    private static string Reasons(Decision decision)
    {
        if (decision.Reasons.Count == 0)
        {
            return "No reason was given.";
        }

        var text = new StringBuilder(decision.Reasons.Count == 1 ? "Reason: " : "Reasons: ");
        for (var i = 0; i < decision.Reasons.Count; i++)
        {
            var reason = decision.Reasons[i];
            text.Append(i == 0 ? "" : "; ").Append(reason.Message.TrimEnd('.', ' ')).Append(" (rule ").Append(reason.Rule).Append(')');
        }

        return text.Append('.').ToString();
    }
}

/// <summary>Gating Microsoft.Extensions.AI functions with one line.</summary>
public static class GatedFunctionExtensions
{
    /// <summary>Puts the Rein gate in front of a function: <c>tools = [refund.WithGate(rein, gate)]</c>. See
    /// <see cref="GatedFunction"/> for what each effect does.</summary>
    /// <param name="function">The function to gate.</param>
    /// <param name="client">The client whose key (an agent's or an admin's) asks the gate.</param>
    /// <param name="options">Who is calling.</param>
    /// <param name="toolName">The tool's name for the gate; null for the function's name.</param>
    /// <returns>The gated function, with the same name, description and schema.</returns>
    public static GatedFunction WithGate(this AIFunction function, ReinClient client, GateOptions options, string? toolName = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new GatedFunction(function, client, options, toolName);
    }
}
