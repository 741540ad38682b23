using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Rein.Core.Gateway;
using Rein.Core.Policies;
using Rein.Core.Traces;
using Rein.Server.Approvals;
using Rein.Server.Identity;
using Rein.Server.Policies;
using Rein.Server.Storage;

namespace Rein.Server.Gateway;

/// <summary>Who is on the other end of an MCP session: the agent key (whose name names the agent) and the session's
/// own run, used when a call carries no trace context.</summary>
internal sealed record GatewayAgent(Caller Caller, string Agent, string SessionId, string RunTraceId, string RunRootSpanId, string Separator)
{
    /// <summary>When the session opened: the start of its run.</summary>
    public DateTimeOffset Opened { get; init; }

    private int _runStarted;

    /// <summary>Whether a call has started the session's own run (written its root).</summary>
    public bool RunStarted => Volatile.Read(ref _runStarted) == 1;

    /// <summary>True once: for the first call that joins no trace of the agent's, which writes the run's root.</summary>
    public bool StartRun() => Interlocked.Exchange(ref _runStarted, 1) == 0;
}

/// <summary>A tool as one agent's listing offers it.</summary>
internal sealed record OfferedTool(string Name, string Server, Tool Definition, string Hash);

/// <summary>
/// What the gateway does for <c>tools/list</c> and <c>tools/call</c>: the union of the upstreams' pinned tools that
/// policy does not deny outright; and each call checked against the tool's schema, decided by the gate, asked of a
/// person when the gate says so, forwarded, screened and traced.
/// </summary>
internal sealed partial class GatewayCalls(
    GatewayServerService servers,
    ToolCatalog catalog,
    UpstreamPool pool,
    GateService gate,
    ApprovalService approvals,
    PolicyCatalog policies,
    ReinDatabase database,
    Redactor redactor,
    DecisionSpans spans,
    ArgumentSchemas schemas,
    GatewayCache cache,
    GatewayOptions options,
    GateOptions gateOptions,
    TimeProvider time,
    ILogger<GatewayCalls> logger) : IDisposable
{
    /// <summary>Longest tool result text kept in the span (<c>gen_ai.tool.call.result</c>), in characters.</summary>
    public const int MaxSpanResultChars = 4096;

    private static readonly InjectionScanner Scanner = InjectionScanner.Default;

    private readonly SemaphoreSlim _concurrency = new(options.MaxConcurrentCalls, options.MaxConcurrentCalls);

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<IReadOnlyList<Tool>, IReadOnlyList<(Tool Tool, ObservedTool Observed)>> _observed = new();

    /// <summary>The tools the agent may see, namespaced with the session's separator.</summary>
    public async Task<IReadOnlyList<OfferedTool>> ListAsync(GatewayAgent agent, CancellationToken cancellationToken)
    {
        var project = agent.Caller.ProjectId;
        var specs = await servers.UpstreamsAsync(project, cancellationToken);
        pool.Retain(project, [.. specs.Select(s => s.Name)]);
        var rules = await database.ReadAsync(c => policies.LoadAsync(c, null, project), cancellationToken);
        var listed = await Task.WhenAll(specs.Select(async spec =>
        {
            try
            {
                return (spec.Name, Tools: await ServerToolsAsync(spec, cancellationToken));
            }
            catch (UpstreamException)
            {
                // A failing server's tools are left out; the others are still offered. Its health shows why.
                return (spec.Name, Tools: (IReadOnlyList<(Tool Tool, ToolRow Row)>)[]);
            }
        }));
        var offered = new List<OfferedTool>();
        foreach (var (server, tools) in listed)
        {
            foreach (var (tool, row) in tools)
            {
                var name = ToolNames.Namespace(server, tool.Name);
                if (ToolCatalog.State(row) == PinStates.Pinned && !GateDecider.DeniesOutright(rules, agent.Agent, null, name, gateOptions.UnboundEffect))
                {
                    offered.Add(new OfferedTool(ToolNames.Namespace(server, tool.Name, agent.Separator), server, tool, row.Hash));
                }
            }
        }

        return offered;
    }

    /// <summary>Lists the project's servers (or one) now, recording their tools in the catalog; the servers that could
    /// not be listed, with why.</summary>
    public async Task<IReadOnlyDictionary<string, string>> RefreshAsync(string projectId, string? server, CancellationToken cancellationToken)
    {
        var specs = (await servers.UpstreamsAsync(projectId, cancellationToken)).Where(s => server is null || s.Name == server).ToList();
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        if (server is not null && specs.Count == 0)
        {
            errors[server] = $"the project has no enabled tool server '{server}'";
        }

        foreach (var spec in specs)
        {
            try
            {
                await ServerToolsAsync(spec, cancellationToken, refresh: true);
            }
            catch (UpstreamException e)
            {
                errors[spec.Name] = e.Message;
            }
        }

        return errors;
    }

    /// <summary>One call, start to end. Errors the agent should read (denied, invalid arguments, withheld tool) are
    /// tool results with <c>isError</c>; an upstream that fails is an MCP error naming the tool.</summary>
    public async Task<CallToolResult> CallAsync(GatewayAgent agent, McpServer session, CallToolRequestParams request, CancellationToken cancellationToken)
    {
        var started = time.GetUtcNow();
        var clock = Stopwatch.GetTimestamp();
        var requested = request.Name ?? "";
        if (!ToolNames.TryParse(requested, out var server, out var tool))
        {
            return Error($"'{GatewayServerService.Shorten(requested)}' is not a tool of this gateway: tool names are server.tool (or server__tool), as tools/list gives them");
        }

        var name = ToolNames.Namespace(server, tool);
        var joined = TraceOf(request.Meta);
        if (joined is null && agent.StartRun())
        {
            // The session's own run gets its root with its first call, not when the session ends (which a client that
            // leaves without DELETE leaves to the idle timeout): a run never sits rootless. A session whose calls all
            // join the agent's traces starts no run of its own.
            WriteSessionSpan(agent, SessionSpan(agent, agent.Opened, started));
        }

        var (traceId, parentSpanId) = joined ?? (agent.RunTraceId, agent.RunRootSpanId);
        var span = new CallSpan(name, server, agent, traceId, parentSpanId, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), started);
        var arguments = request.Arguments is null ? (JsonElement?)null : JsonSerializer.SerializeToElement(request.Arguments, GatewayJson.Options);
        span.Arguments = arguments;
        try
        {
            var result = await CallCoreAsync(agent, session, request, server, tool, name, arguments, span, cancellationToken);
            span.Error = result.IsError == true ? TextOf(result) : null;
            return result;
        }
        catch (McpException e)
        {
            span.Error = e.Message;
            throw;
        }
        finally
        {
            span.DurationTicks = Stopwatch.GetElapsedTime(clock).Ticks;
            WriteSpan(span);
        }
    }

    private async Task<CallToolResult> CallCoreAsync(
        GatewayAgent agent, McpServer session, CallToolRequestParams request, string server, string tool, string name, JsonElement? arguments, CallSpan span, CancellationToken cancellationToken)
    {
        var spec = (await cache.GetAsync(agent.Caller.ProjectId, "servers", () => servers.UpstreamsAsync(agent.Caller.ProjectId, cancellationToken))).FirstOrDefault(s => s.Name == server);
        if (spec is null)
        {
            return Error($"{name}: project {agent.Caller.ProjectId} has no enabled tool server '{server}'");
        }

        IReadOnlyList<(Tool Tool, ToolRow Row)> tools;
        try
        {
            tools = await ServerToolsAsync(spec, cancellationToken);
        }
        catch (UpstreamException e)
        {
            throw new McpProtocolException($"{name}: {e.Message}", McpErrorCode.InternalError);
        }

        var found = tools.FirstOrDefault(t => t.Tool.Name == tool);
        if (found.Tool is null)
        {
            return Error($"{name}: server '{server}' has no tool '{tool}'");
        }

        var state = ToolCatalog.State(found.Row);
        if (state != PinStates.Pinned)
        {
            span.Withheld = state;
            return Error(state == PinStates.Changed
                ? $"{name} is withheld: its definition changed since it was pinned ({found.Row.PinnedHash} → {found.Row.Hash}); an admin must review the change (rein tools diff {name}) and pin it (rein tools pin {server} --tool {tool})"
                : $"{name} is withheld: this project pins tools explicitly and nobody has pinned it yet (rein tools diff {name}, then rein tools pin {server} --tool {tool})");
        }

        var problems = await schemas.ProblemsAsync(found.Row.Hash, found.Tool.InputSchema, arguments, cancellationToken);
        if (problems.Count > 0)
        {
            span.Invalid = true;
            return Error($"{name}: the arguments do not match the tool's input schema:\n- " + string.Join("\n- ", problems));
        }

        var call = new GateCall
        {
            Agent = agent.Agent,
            RunId = span.TraceId,
            SessionId = agent.SessionId,
            Tool = name,
            Server = server,
            Args = arguments,
            TraceId = span.TraceId,
            ParentSpanId = span.SpanId,
        };
        GateDecision decision;
        try
        {
            decision = await gate.DecideAsync(agent.Caller, call, cancellationToken);
        }
        catch (ReinProblemException e) when (e.Status == StatusCodes.Status403Forbidden)
        {
            // The call joined (through _meta.traceparent) a trace another agent started: refused, as the gate refuses it.
            return Error($"{name} was refused by Rein's gate: {e.Message}");
        }

        span.Decision = decision;
        var forwarded = arguments;
        switch (decision.EffectValue)
        {
            case Effect.Deny:
                return Error($"{name} was denied by Rein's gate: {Reasons(decision)} (decision {decision.DecisionId})");
            case Effect.Confirm:
                if (await ConfirmAsync(session, name, decision, arguments, cancellationToken) is { } refused)
                {
                    return refused;
                }

                break;
            case Effect.RequireApproval:
                var (approvedArgs, pending) = await AwaitApprovalAsync(agent, session, request, call, decision, cancellationToken);
                if (pending is not null)
                {
                    return pending;
                }

                forwarded = approvedArgs;
                span.Arguments = forwarded;
                break;
        }

        return await ForwardAsync(agent, spec, tool, name, forwarded, request, session, span, cancellationToken);
    }

    private async Task<CallToolResult> ForwardAsync(
        GatewayAgent agent, UpstreamSpec spec, string tool, string name, JsonElement? arguments, CallToolRequestParams request, McpServer session, CallSpan span, CancellationToken cancellationToken)
    {
        var fault = FaultPlan.Choose(name, await catalog.CachedFaultsAsync(agent.Caller.ProjectId, cancellationToken), Random.Shared);
        span.Fault = fault;
        switch (fault?.Kind)
        {
            case FaultKind.Error:
                return Error($"{name} failed: {fault.Message ?? "injected fault"} [fault injected by Rein, rule {fault.Id}]");
            case FaultKind.Delay:
                await Task.Delay(fault.Delay, time, cancellationToken);
                break;
            case FaultKind.Timeout:
                await Task.Delay(spec.Timeout, time, cancellationToken);
                throw new McpProtocolException(
                    $"{name}: server '{spec.Name}': tools/call timed out after {Policies.Durations.Format(spec.Timeout)} (the server's timeout) [fault injected by Rein, rule {fault.Id}]",
                    McpErrorCode.InternalError);
        }

        var upstream = pool.Get(spec);
        var args = arguments is { ValueKind: JsonValueKind.Object } a ? a.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()) : null;
        var progress = request.ProgressToken is { } token ? new ProgressRelay(session, token) : null;
        CallToolResult result;
        await _concurrency.WaitAsync(cancellationToken);
        var upstreamClock = Stopwatch.GetTimestamp();
        try
        {
            result = await upstream.CallAsync(tool, args, progress, cancellationToken);
        }
        catch (UpstreamException e)
        {
            throw new McpProtocolException($"{name}: {e.Message}", McpErrorCode.InternalError);
        }
        finally
        {
            span.UpstreamMs = Stopwatch.GetElapsedTime(upstreamClock).TotalMilliseconds;
            _concurrency.Release();
        }

        var json = JsonSerializer.SerializeToElement(result, McpJsonUtilities.DefaultOptions);
        var size = json.GetRawText().Length;
        span.ResultBytes = size;
        if (size > options.MaxResultBytes)
        {
            return Error($"{name} returned {size} bytes, more than the gateway passes on ({options.MaxResultBytes} bytes, Gateway:MaxResultBytes)");
        }

        if (fault?.Kind == FaultKind.Corrupt)
        {
            json = JsonSerializer.SerializeToElement(FaultPlan.Corrupt(json, Random.Shared));
        }

        var screened = ResultScreen.Screen(json, redactor, Scanner);
        span.Screen = screened;
        if (screened.Report.Flagged)
        {
            await MarkUntrustedAsync(agent.Caller.ProjectId, span.TraceId, cancellationToken);
        }

        var node = screened.Result?.AsObject() ?? [];
        if (screened.Report.Flagged)
        {
            var meta = node["_meta"] as JsonObject ?? [];
            meta["rein/untrusted"] = new JsonObject
            {
                ["score"] = Math.Round(screened.Report.Score, 3),
                ["kinds"] = new JsonArray([.. screened.Report.Kinds.Select(k => (JsonNode)k)]),
            };
            node["_meta"] = meta;
        }

        var screenedResult = node.Deserialize<CallToolResult>(McpJsonUtilities.DefaultOptions)!;
        span.Result = TextOf(screenedResult);
        return screenedResult;
    }

    /// <summary>Asks the person at the client through MCP elicitation; null when they confirmed.</summary>
    private static async Task<CallToolResult?> ConfirmAsync(McpServer session, string name, GateDecision decision, JsonElement? arguments, CancellationToken cancellationToken)
    {
        var why = Reasons(decision);
        if (session.ClientCapabilities?.Elicitation is null)
        {
            return Error($"{name} needs confirmation by a person before it runs ({why}), and this MCP client cannot ask (no elicitation support); ask the user, then use a client that supports elicitation");
        }

        var answer = await session.ElicitAsync(
            new ElicitRequestParams
            {
                Message = $"Rein asks you to confirm a tool call.\nTool: {name}\nArguments: {(arguments is { } a ? a.GetRawText() : "{}")}\nWhy: {why}",
                RequestedSchema = new ElicitRequestParams.RequestSchema
                {
                    Properties = new Dictionary<string, ElicitRequestParams.PrimitiveSchemaDefinition>
                    {
                        ["confirm"] = new ElicitRequestParams.BooleanSchema { Title = "Run this call", Description = "Yes: the call runs as shown." },
                    },
                    Required = ["confirm"],
                },
            },
            cancellationToken);
        var confirmed = answer.IsAccepted && answer.Content is { } content && content.TryGetValue("confirm", out var value) && value.ValueKind == JsonValueKind.True;
        return confirmed ? null : Error($"{name} was not run: the user did not confirm it ({answer.Action}) (decision {decision.DecisionId})");
    }

    /// <summary>Waits for a person's decision, sending progress; the arguments to forward when approved, else the
    /// result to answer with.</summary>
    private async Task<(JsonElement? Args, CallToolResult? Result)> AwaitApprovalAsync(
        GatewayAgent agent, McpServer session, CallToolRequestParams request, GateCall call, GateDecision decision, CancellationToken cancellationToken)
    {
        var hint = decision.Approval!;
        var deadline = time.GetUtcNow() + options.ApprovalWait;
        var step = 0;
        ApprovalResponse? response = null;
        while (true)
        {
            var left = deadline - time.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                break;
            }

            if (request.ProgressToken is { } token)
            {
                await session.NotifyProgressAsync(token, new ProgressNotificationValue
                {
                    Progress = ++step,
                    Message = $"waiting for a person to decide approval request {hint.RequestId} (queue {hint.Queue}, expires {hint.ExpiresAt:u})",
                }, cancellationToken: cancellationToken);
            }

            var wait = TimeSpan.FromSeconds(Math.Min(10, Math.Max(0.05, left.TotalSeconds)));
            response = await approvals.GetAsync(agent.Caller, hint.RequestId, wait, cancellationToken);
            if (response.Status != ApprovalStatuses.Pending)
            {
                break;
            }
        }

        if (response is null || response.Status == ApprovalStatuses.Pending)
        {
            return (null, Error(
                $"{call.Tool} needs a person's approval: request {hint.RequestId} in queue {hint.Queue} is pending (expires {hint.ExpiresAt:u}). The call was not run; make the same call again to wait on it further."));
        }

        if (response.Status != ApprovalStatuses.Approved || response.Token is null)
        {
            var note = string.IsNullOrEmpty(response.Note) ? "" : $": {response.Note}";
            return (null, Error($"{call.Tool} was not run: approval request {hint.RequestId} was {response.Outcome ?? response.Status}{note}"));
        }

        var args = response.Outcome == ApprovalOutcomes.Modified ? response.ApprovedArgs : call.Args;
        var redeemed = await gate.DecideAsync(agent.Caller, call with { Args = args, ApprovalToken = response.Token }, cancellationToken);
        return redeemed.EffectValue == Effect.Allow
            ? (args, null)
            : (null, Error($"{call.Tool} was approved (request {hint.RequestId}) but the gate did not allow it with the approval: {Reasons(redeemed)}"));
    }

    /// <summary>The server's tools with their catalog rows (recording new and changed definitions).</summary>
    private async Task<IReadOnlyList<(Tool Tool, ToolRow Row)>> ServerToolsAsync(UpstreamSpec spec, CancellationToken cancellationToken, bool refresh = false)
    {
        var upstream = pool.Get(spec);
        var listed = await upstream.ToolsAsync(refresh ? TimeSpan.Zero : options.ToolListTtl, cancellationToken);

        // A server's list is reused for Gateway:ToolListTtl; its definitions are hashed once per list, not per call.
        var observed = _observed.GetValue(listed, Observe);
        var rows = await catalog.ObserveAsync(spec.ProjectId, spec.Name, [.. observed.Select(o => o.Observed)], cancellationToken);
        return [.. observed.Where(o => rows.ContainsKey(o.Tool.Name)).Select(o => (o.Tool, rows[o.Tool.Name]))];
    }

    /// <summary>The tools of one listing with their canonical definitions and hashes; oversized ones are left out.</summary>
    private static IReadOnlyList<(Tool Tool, ObservedTool Observed)> Observe(IReadOnlyList<Tool> listed)
    {
        var observed = new List<(Tool Tool, ObservedTool Observed)>();
        foreach (var tool in listed.Where(t => t.Name is { Length: > 0 and <= ToolNames.MaxToolLength }).Take(ToolCatalog.MaxToolsPerServer))
        {
            var schema = tool.InputSchema.ValueKind == JsonValueKind.Undefined ? (JsonElement?)null : tool.InputSchema;
            var definition = new JsonObject
            {
                ["name"] = tool.Name,
                ["description"] = tool.Description,
                ["inputSchema"] = schema is { } s ? JsonNode.Parse(s.GetRawText()) : null,
            }.ToJsonString();
            if (definition.Length <= ToolCatalog.MaxDefinitionBytes)
            {
                observed.Add((tool, new ObservedTool(tool.Name, ToolDefinitionHash.Compute(tool.Name, tool.Description, schema), definition)));
            }
        }

        return observed;
    }

    private async Task MarkUntrustedAsync(string projectId, string runId, CancellationToken cancellationToken) =>
        await database.WriteAsync((c, t) => GateStore.MarkUntrustedAsync(c, t, projectId, runId, time.GetUtcNow().ToUnixTimeMilliseconds()), cancellationToken);

    /// <summary>W3C trace context from the request's <c>_meta.traceparent</c>.</summary>
    internal static (string TraceId, string SpanId)? TraceOf(JsonObject? meta) =>
        meta?["traceparent"] is JsonValue value && value.TryGetValue<string>(out var text) ? TraceParent.Parse(text) : null;

    private static string Reasons(GateDecision decision) => string.Join("; ", decision.Reasons.Select(r => r.Message));

    internal static CallToolResult Error(string message) => new() { IsError = true, Content = [new TextContentBlock { Text = message }] };

    private static string TextOf(CallToolResult result)
    {
        var text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(t => t.Text));
        return text.Length > MaxSpanResultChars ? text[..MaxSpanResultChars] + "…" : text;
    }

    /// <summary>Relays an upstream's progress to the agent under the agent's own progress token.</summary>
    private sealed class ProgressRelay(McpServer session, ProgressToken token) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => _ = session.NotifyProgressAsync(token, value);
    }

    public void Dispose() => _concurrency.Dispose();
}
