using System.Security.Cryptography;
using System.Text.Json;
using Rein.Core.Gateway;
using Rein.Core.Traces;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Gateway;

/// <summary>The spans the gateway writes into runs: one <c>execute_tool</c> span per call, and a session's own run
/// root and end.</summary>
internal sealed partial class GatewayCalls
{
    /// <summary>Queues one span of Rein's about the session; a span that cannot be built or queued is logged and
    /// never changes the agent's answer.</summary>
    private void Enqueue(Caller caller, string name, Func<RawSpan> build)
    {
        try
        {
            if (!spans.Enqueue(caller, build()))
            {
                Log.GatewaySpanNotWritten(logger, name, caller.ProjectId, new InvalidOperationException("the span queue is full"));
            }
        }
#pragma warning disable CA1031 // A span that cannot be built must not change the agent's answer.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Log.GatewaySpanNotWritten(logger, name, caller.ProjectId, e);
        }
    }

    private void WriteSpan(CallSpan span) => Enqueue(span.Agent.Caller, span.Tool, span.Build);

    private void WriteSessionSpan(GatewayAgent agent, RawSpan span) => Enqueue(agent.Caller, span.Name, () => span);

    /// <summary>What one call did, gathered as it runs, written as an <c>execute_tool</c> span when it ends.</summary>
    private sealed class CallSpan(string tool, string server, GatewayAgent agent, string traceId, string parentSpanId, string spanId, DateTimeOffset started)
    {
        public string Tool { get; } = tool;

        public GatewayAgent Agent { get; } = agent;

        public string TraceId { get; } = traceId;

        public string SpanId { get; } = spanId;

        public JsonElement? Arguments { get; set; }

        public GateDecision? Decision { get; set; }

        public FaultRule? Fault { get; set; }

        public ScreenedResult? Screen { get; set; }

        public string? Withheld { get; set; }

        public bool Invalid { get; set; }

        public double? UpstreamMs { get; set; }

        public int? ResultBytes { get; set; }

        public string? Result { get; set; }

        public string? Error { get; set; }

        public long DurationTicks { get; set; }

        public RawSpan Build()
        {
            var start = (started.ToUnixTimeMilliseconds() * 1_000_000) + (started.Ticks % TimeSpan.TicksPerMillisecond * 100);
            var attributes = new List<SpanAttribute>
            {
                new("gen_ai.operation.name", "execute_tool"),
                new("gen_ai.tool.name", Tool),
                new("gen_ai.tool.type", "extension"),
                new("gen_ai.agent.name", Agent.Agent),
                new("session.id", Agent.SessionId),
                new("rein.gateway.server", server),
                new("mcp.session.id", Agent.SessionId),
            };
            if (Arguments is { } args)
            {
                attributes.Add(new("gen_ai.tool.call.arguments", args.GetRawText()));
            }

            if (Decision is { } decision)
            {
                // Not rein.decision.*: those make a span a guardrail step; this one is the tool call, and the gate's
                // own span (its child) is the guardrail.
                attributes.Add(new("rein.gateway.decision.effect", decision.Effect));
                attributes.Add(new("rein.gateway.decision.id", decision.DecisionId));
                if (decision.Approval is { } approval)
                {
                    attributes.Add(new("rein.gateway.approval.id", approval.RequestId));
                }
            }

            if (Withheld is { } withheld)
            {
                attributes.Add(new("rein.gateway.withheld", withheld));
            }

            if (Invalid)
            {
                attributes.Add(new("rein.gateway.invalid_arguments", true));
            }

            if (Fault is { } fault)
            {
                attributes.Add(new("rein.gateway.fault", fault.Kind.ToString().ToLowerInvariant()));
                attributes.Add(new("rein.gateway.fault.rule", fault.Id));
            }

            if (UpstreamMs is { } upstreamMs)
            {
                attributes.Add(new("rein.gateway.upstream_ms", Math.Round(upstreamMs, 3)));
            }

            if (ResultBytes is { } bytes)
            {
                attributes.Add(new("rein.gateway.result_bytes", (long)bytes));
            }

            if (Screen is { } screen)
            {
                attributes.Add(new("rein.gateway.redacted", (long)screen.Redacted));
                attributes.Add(new("rein.gateway.injection.score", Math.Round(screen.Report.Score, 3)));
                attributes.Add(new("rein.gateway.injection.flagged", screen.Report.Flagged));
                if (screen.Report.Kinds.Count > 0)
                {
                    attributes.Add(new("rein.gateway.injection.kinds", string.Join(",", screen.Report.Kinds)));
                }
            }

            if (Result is { } result)
            {
                attributes.Add(new("gen_ai.tool.call.result", result));
            }

            return new RawSpan
            {
                TraceId = TraceId,
                SpanId = SpanId,
                ParentSpanId = parentSpanId,
                Name = "execute_tool " + Tool,
                Kind = 1,
                StartUnixNano = start,
                EndUnixNano = start + (DurationTicks * 100),
                Attributes = attributes,
                Status = Error is null ? SpanStatus.Unset : SpanStatus.Error,
                StatusMessage = Error is { Length: > 500 } e ? e[..500] + "…" : Error,
                Resource = [new("service.name", "rein")],
                ScopeName = "rein.gateway",
                FromRein = true,
            };
        }
    }

    /// <summary>The root span of a session's own run (Rein's run root), written with the session's first call that
    /// joins no trace of the agent's: from the session's opening to that call.</summary>
    internal static RawSpan SessionSpan(GatewayAgent agent, DateTimeOffset opened, DateTimeOffset firstCall) => new()
    {
        TraceId = agent.RunTraceId,
        SpanId = agent.RunRootSpanId,
        Name = "invoke_agent " + agent.Agent,
        Kind = 2,
        StartUnixNano = DecisionSpans.UnixNanos(opened),
        EndUnixNano = DecisionSpans.UnixNanos(firstCall < opened ? opened : firstCall),
        Attributes =
        [
            new("gen_ai.operation.name", "invoke_agent"),
            new("gen_ai.agent.name", agent.Agent),
            new("session.id", agent.SessionId),
            new("mcp.session.id", agent.SessionId),
        ],
        Status = SpanStatus.Unset,
        Resource = [new("service.name", "rein")],
        ScopeName = "rein.gateway",
        FromRein = true,
        ReinRunRoot = true,
    };

    /// <summary>The end of a session's own run: a span under its root at the moment the session ended (DELETE, idle,
    /// or the server stopping), which ends the run there.</summary>
    internal static RawSpan SessionEndSpan(GatewayAgent agent, DateTimeOffset closed, string why) => new()
    {
        TraceId = agent.RunTraceId,
        SpanId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
        ParentSpanId = agent.RunRootSpanId,
        Name = "rein.gateway.session.end",
        Kind = 1,
        StartUnixNano = DecisionSpans.UnixNanos(closed),
        EndUnixNano = DecisionSpans.UnixNanos(closed),
        Attributes =
        [
            new("gen_ai.agent.name", agent.Agent),
            new("session.id", agent.SessionId),
            new("mcp.session.id", agent.SessionId),
            new("rein.gateway.session.closed", why),
        ],
        Status = SpanStatus.Unset,
        Resource = [new("service.name", "rein")],
        ScopeName = "rein.gateway",
        FromRein = true,
    };
}
