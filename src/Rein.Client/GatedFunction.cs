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
/// <item><b>require_approval</b> with <see cref="GateOptions.WaitForApproval"/>: waits for a person. Approved: repeats the
/// gate call with the approval token and the approved arguments (the approver's, when modified) and, when that is
/// allowed, runs the function with those arguments and returns its result. Rejected, expired, still pending at the end
/// of the wait, or the repeated call denied: does not run it; returns a string for the model saying so.</item>
/// <item><b>no decision</b> (server unreachable, key refused, an answer it cannot read, also while waiting for an
/// approval): does not run it and throws
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
        if (options.WaitForApproval is { } wait && wait < TimeSpan.Zero && wait != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(options), wait, "WaitForApproval is zero or more, or Timeout.InfiniteTimeSpan.");
        }

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
        GateRequest request;
        try
        {
            request = CreateRequest(arguments);
        }
        catch (Exception e) when (e is NotSupportedException or JsonException)
        {
            throw ReinGateUnavailableException.For(ToolName, e);
        }

        var decision = await DecideAsync(request, cancellationToken);
        if (decision.Effect == GateEffect.RequireApproval && _options.WaitForApproval is { } wait && decision.Approval?.RequestId is { } requestId)
        {
            return await WaitAndRepeatAsync(arguments, request, requestId, wait, cancellationToken);
        }

        return await AnswerAsync(arguments, decision, cancellationToken);
    }

    private async Task<Decision> DecideAsync(GateRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await _client.Gate.DecideAsync(request, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or ReinApiException or OperationCanceledException or NotSupportedException or JsonException)
        {
            throw ReinGateUnavailableException.For(ToolName, e);
        }
    }

    private async ValueTask<object?> AnswerAsync(AIFunctionArguments arguments, Decision decision, CancellationToken cancellationToken) => decision.Effect switch
    {
        GateEffect.Allow => await base.InvokeCoreAsync(arguments, cancellationToken),
        GateEffect.Deny => DeniedMessage(ToolName, decision),
        _ => new GateBlockedResult(ToolName, decision.Effect, decision.DecisionId, decision.Reasons, decision.Approval?.Route, BlockedMessage(ToolName, decision))
        {
            ApprovalRequestId = decision.Approval?.RequestId,
            Decision = decision,
        },
    };

    /// <summary>Waits for the request; approved, repeats the gate call with its token and the approved arguments, and
    /// answers that decision (without waiting a second time).</summary>
    private async ValueTask<object?> WaitAndRepeatAsync(AIFunctionArguments arguments, GateRequest request, string requestId, TimeSpan wait, CancellationToken cancellationToken)
    {
        Approval approval;
        try
        {
            approval = await _client.Approvals.WaitAsync(requestId, wait, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception e) when (e is HttpRequestException or ReinApiException or OperationCanceledException or JsonException)
        {
            throw ReinGateUnavailableException.For(ToolName, e);
        }

        if (approval.Status != ApprovalStatuses.Approved)
        {
            return NotApprovedMessage(ToolName, approval, wait);
        }

        if (approval.Token is not { Length: > 0 } token)
        {
            return $"Not run: the call to '{ToolName}' was approved (approval request {approval.Id}), but the answer held no approval token " +
                "(only an agent key receives it, once, while it is unused and unexpired), so the call was not repeated.";
        }

        var (approvedArguments, approvedJson) = (arguments, request.Args);
        if (approval.Outcome == ApprovalOutcomes.Modified)
        {
            if (approval.ApprovedArgs is not { ValueKind: JsonValueKind.Object } modified)
            {
                throw ReinGateUnavailableException.For(ToolName, new HttpRequestException(
                    HttpRequestError.InvalidResponse, $"approval request {approval.Id} was approved with modified arguments, but the answer did not hold them as an object"));
            }

            (approvedArguments, approvedJson) = (WithArguments(arguments, modified), JsonObject.Create(modified.Clone()));
        }

        // The token is bound to the run of the call that asked: the repeat keeps it (and the rest of that request) even
        // when RunIdProvider would now name another run.
        var repeated = await DecideAsync(request with { Args = approvedJson, ApprovalToken = token }, cancellationToken);
        return await AnswerAsync(approvedArguments, repeated, cancellationToken);
    }

    /// <summary>The invocation's arguments replaced by the approved ones, as JSON values (which functions made by
    /// <see cref="AIFunctionFactory"/> read like any other); services and context are kept.</summary>
    private static AIFunctionArguments WithArguments(AIFunctionArguments original, JsonElement approved)
    {
        var replaced = new AIFunctionArguments { Services = original.Services, Context = original.Context };
        foreach (var property in approved.EnumerateObject())
        {
            replaced[property.Name] = property.Value.Clone();
        }

        return replaced;
    }

    internal static string NotApprovedMessage(string tool, Approval approval, TimeSpan wait)
    {
        var note = string.IsNullOrWhiteSpace(approval.Note) ? "" : $" Their note: {approval.Note.Trim()}";
        return approval.Status switch
        {
            ApprovalStatuses.Rejected =>
                $"Rejected: the tool '{tool}' was not run; {approval.DecidedByName ?? approval.DecidedBy ?? "a person"} rejected approval request {approval.Id}.{note}",
            ApprovalStatuses.Expired =>
                $"Expired: the tool '{tool}' was not run; nobody decided on approval request {approval.Id} before it expired at " +
                $"{approval.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture)}, so it counts as denied.",
            ApprovalStatuses.Pending =>
                $"Not run: the call to '{tool}' is still waiting for approval (request {approval.Id}, queue {approval.Queue}) after waiting " +
                $"{(wait == Timeout.InfiniteTimeSpan ? "without a limit" : ReinClient.Duration(wait))}; it has not been done.",
            _ => $"Not run: approval request {approval.Id} for the tool '{tool}' is {approval.Status}.",
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
