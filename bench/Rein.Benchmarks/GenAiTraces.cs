using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Rein.Server.Traces.Otlp.Wire;
using WireSpan = Rein.Server.Traces.Otlp.Wire.Span;

namespace Rein.Benchmarks;

/// <summary>One run to generate: its trace id, how many spans, when it starts.</summary>
internal readonly record struct RunPlan(byte[] TraceId, int Spans, long StartUnixNano);

/// <summary>
/// Realistic GenAI traces as an instrumented agent exports them: each run is one agent span (the root) with LLM
/// and tool spans under it, alternating. Spans carry 20-40 attributes with the OpenTelemetry gen_ai.* names; LLM
/// spans carry 2-4 KB of message text, tool spans their arguments and a result. Deterministic for a seed.
/// </summary>
internal sealed class GenAiTraces(int seed, int agents = 8, int tools = 12, int sessions = 5_000, int users = 1_000)
{
    /// <summary>Priced models from the shipped table, so cost is computed as it would be in production.</summary>
    private static readonly string[] Models = ["gpt-4.1", "gpt-4.1-mini", "gpt-4o", "gpt-4o-mini", "gpt-5-mini"];

    private static readonly string[] Words =
    [
        "the", "customer", "order", "refund", "policy", "shipment", "invoice", "account", "please", "check", "status", "of",
        "and", "return", "window", "days", "item", "damaged", "replacement", "warehouse", "tracking", "number", "support",
        "agent", "escalate", "manager", "approve", "credit", "balance", "subscription", "renewal", "cancel", "plan",
        "upgrade", "discount", "apply", "coupon", "delivery", "address", "update", "confirm", "thanks", "for", "waiting",
        "I", "will", "look", "into", "this", "now", "your", "request", "has", "been", "processed", "successfully",
    ];

    private readonly Random _random = new(seed);

    public string AgentName(int i) => $"support-agent-{i % agents}";

    public string ToolName(int i) => $"tool_{(i % tools) switch { 0 => "lookup_order", 1 => "search_kb", 2 => "issue_refund", 3 => "send_email", 4 => "get_customer", 5 => "update_ticket", var n => $"custom_{n}" }}";

    /// <summary>An export request holding the given runs, one resource (agent service) per run.</summary>
    public ExportTraceServiceRequest Build(IEnumerable<RunPlan> runs)
    {
        var request = new ExportTraceServiceRequest();
        foreach (var run in runs)
        {
            request.ResourceSpans.Add(BuildRun(run));
        }

        return request;
    }

    private ResourceSpans BuildRun(RunPlan run)
    {
        var agentIndex = _random.Next(agents);
        var agent = AgentName(agentIndex);
        var resource = new Resource();
        resource.Attributes.Add(Str("service.name", agent));
        resource.Attributes.Add(Str("service.version", "1." + (agentIndex % 3)));
        resource.Attributes.Add(Str("deployment.environment.name", "production"));
        resource.Attributes.Add(Str("telemetry.sdk.name", "opentelemetry"));
        resource.Attributes.Add(Str("telemetry.sdk.language", "python"));
        resource.Attributes.Add(Str("telemetry.sdk.version", "1.38.0"));
        resource.Attributes.Add(Str("host.name", $"worker-{agentIndex}"));
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "opentelemetry.instrumentation.openai_v2", Version = "2.1b0" } };
        var resourceSpans = new ResourceSpans { Resource = resource };
        resourceSpans.ScopeSpans.Add(scope);

        var traceId = ByteString.CopyFrom(run.TraceId);
        var session = $"session-{_random.Next(sessions)}";
        var user = $"user-{_random.Next(users)}";
        var failed = _random.Next(100) < 5;
        var rootId = SpanId(run.TraceId, 0);
        var step = 1_500_000_000L; // 1.5 s per child span: a model call or a tool call
        var root = new WireSpan
        {
            TraceId = traceId,
            SpanId = rootId,
            Name = $"invoke_agent {agent}",
            Kind = WireSpan.Types.SpanKind.Internal,
            StartTimeUnixNano = (ulong)run.StartUnixNano,
            EndTimeUnixNano = (ulong)(run.StartUnixNano + (step * run.Spans)),
            Status = new Status { Code = failed ? Status.Types.StatusCode.Error : Status.Types.StatusCode.Ok, Message = failed ? "tool issue_refund failed: upstream timeout" : "" },
        };
        Common(root, "invoke_agent", agent, session, user);
        root.Attributes.Add(Str("gen_ai.agent.description", Sentence(24)));
        root.Attributes.Add(Str("gen_ai.request.model", Models[agentIndex % Models.Length]));
        root.Attributes.Add(Str("input.value", Sentence(60)));
        root.Attributes.Add(Str("output.value", Sentence(80)));
        if (_random.Next(100) < 2)
        {
            root.Attributes.Add(Str("rein.run.outcome", "escalated"));
        }

        scope.Spans.Add(root);
        for (var i = 1; i < run.Spans; i++)
        {
            var start = run.StartUnixNano + (step * (i - 1)) + 1000;
            var span = new WireSpan
            {
                TraceId = traceId,
                SpanId = SpanId(run.TraceId, i),
                ParentSpanId = rootId,
                StartTimeUnixNano = (ulong)start,
                EndTimeUnixNano = (ulong)(start + step - 2000),
                Status = new Status { Code = Status.Types.StatusCode.Unset },
            };
            if (i % 2 == 1)
            {
                Llm(span, agentIndex, agent, session, user);
            }
            else
            {
                Tool(span, agent, session, user, failed && i == run.Spans - 1);
            }

            scope.Spans.Add(span);
        }

        return resourceSpans;
    }

    private void Llm(WireSpan span, int agentIndex, string agent, string session, string user)
    {
        var model = Models[(agentIndex + _random.Next(2)) % Models.Length];
        span.Name = $"chat {model}";
        span.Kind = WireSpan.Types.SpanKind.Client;
        Common(span, "chat", agent, session, user);
        var input = _random.Next(800, 6000);
        span.Attributes.Add(Str("gen_ai.request.model", model));
        span.Attributes.Add(Str("gen_ai.response.model", model + "-2025-04-14"));
        span.Attributes.Add(Str("gen_ai.response.id", "chatcmpl-" + Convert.ToHexStringLower(RandomBytes(12))));
        span.Attributes.Add(new KeyValue { Key = "gen_ai.response.finish_reasons", Value = new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { StringValue = "stop" } } } } });
        span.Attributes.Add(Dbl("gen_ai.request.temperature", 0.2));
        span.Attributes.Add(Dbl("gen_ai.request.top_p", 1.0));
        span.Attributes.Add(Int("gen_ai.request.max_tokens", 4096));
        span.Attributes.Add(Int("gen_ai.usage.input_tokens", input));
        span.Attributes.Add(Int("gen_ai.usage.output_tokens", _random.Next(50, 900)));
        span.Attributes.Add(Int("gen_ai.usage.cache_read.input_tokens", input / 2));
        span.Attributes.Add(Str("gen_ai.output.type", "text"));
        span.Attributes.Add(Str("server.address", "api.openai.com"));
        span.Attributes.Add(Int("server.port", 443));
        span.Attributes.Add(Str("gen_ai.system_instructions", $$"""[{"type":"text","content":"{{Sentence(50)}}"}]"""));
        // 2-4 KB of conversation in, a few hundred bytes to 1 KB out: the gen_ai.*.messages JSON shape.
        span.Attributes.Add(Str("gen_ai.input.messages", Messages(_random.Next(2_000, 3_200))));
        span.Attributes.Add(Str("gen_ai.output.messages", Messages(_random.Next(300, 900))));
    }

    private void Tool(WireSpan span, string agent, string session, string user, bool failed)
    {
        var tool = ToolName(_random.Next(tools));
        span.Name = $"execute_tool {tool}";
        span.Kind = WireSpan.Types.SpanKind.Internal;
        if (failed)
        {
            span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "upstream timeout after 30s" };
        }

        Common(span, "execute_tool", agent, session, user);
        span.Attributes.Add(Str("gen_ai.tool.name", tool));
        span.Attributes.Add(Str("gen_ai.tool.call.id", "call_" + Convert.ToHexStringLower(RandomBytes(10))));
        span.Attributes.Add(Str("gen_ai.tool.type", "function"));
        span.Attributes.Add(Str("gen_ai.tool.description", Sentence(16)));
        span.Attributes.Add(Str("gen_ai.tool.call.arguments", $$"""{"order_id":"{{_random.Next(1_000_000)}}","reason":"{{Sentence(30)}}"}"""));
        span.Attributes.Add(Str("gen_ai.tool.call.result", $$"""{"ok":{{(failed ? "false" : "true")}},"detail":"{{Sentence(150)}}"}"""));
        span.Attributes.Add(Str("http.request.method", "POST"));
        span.Attributes.Add(Str("url.full", $"https://internal.example.com/api/{tool}"));
        span.Attributes.Add(Int("http.response.status_code", failed ? 504 : 200));
    }

    /// <summary>Attributes every span of the agent carries (16 of them).</summary>
    private void Common(WireSpan span, string operation, string agent, string session, string user)
    {
        span.Attributes.Add(Str("gen_ai.operation.name", operation));
        span.Attributes.Add(Str("gen_ai.provider.name", "openai"));
        span.Attributes.Add(Str("gen_ai.agent.name", agent));
        span.Attributes.Add(Str("gen_ai.agent.id", "asst_" + agent));
        span.Attributes.Add(Str("gen_ai.conversation.id", session));
        span.Attributes.Add(Str("session.id", session));
        span.Attributes.Add(Str("user.id", user));
        span.Attributes.Add(Str("rein.release", "2026.11." + (agent.Length % 4)));
        span.Attributes.Add(Str("code.function.name", operation + "_handler"));
        span.Attributes.Add(Str("code.file.path", "/app/agent/runtime.py"));
        span.Attributes.Add(Int("code.line.number", _random.Next(20, 900)));
        span.Attributes.Add(Int("thread.id", _random.Next(1, 64)));
        span.Attributes.Add(Str("app.tenant", $"tenant-{_random.Next(40)}"));
        span.Attributes.Add(Str("app.request_id", Convert.ToHexStringLower(RandomBytes(8))));
        span.Attributes.Add(Bool("app.cache_enabled", true));
        span.Attributes.Add(Str("app.region", "eu-west-1"));
    }

    /// <summary>A gen_ai messages array of about <paramref name="bytes"/> bytes.</summary>
    private string Messages(int bytes)
    {
        var text = new StringBuilder("[");
        var roles = new[] { "user", "assistant" };
        var turn = 0;
        while (text.Length < bytes)
        {
            if (turn > 0)
            {
                text.Append(',');
            }

            text.Append($$"""{"role":"{{roles[turn % 2]}}","parts":[{"type":"text","content":"{{Sentence(Math.Min(120, Math.Max(8, (bytes - text.Length) / 7)))}}"}]}""");
            turn++;
        }

        return text.Append(']').ToString();
    }

    private string Sentence(int words)
    {
        var text = new StringBuilder(words * 7);
        for (var i = 0; i < words; i++)
        {
            if (i > 0)
            {
                text.Append(' ');
            }

            text.Append(Words[_random.Next(Words.Length)]);
        }

        return text.Append('.').ToString();
    }

    private byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Span ids are unique within a trace (the key is project, trace, span), so they are derived from the
    /// trace's own bytes and the position.</summary>
    private static ByteString SpanId(byte[] traceId, int index)
    {
        Span<byte> id = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(id, BinaryPrimitives.ReadInt32BigEndian(traceId.AsSpan(12)) ^ 0x5a5a5a5a);
        BinaryPrimitives.WriteInt32BigEndian(id[4..], index + 1);
        return ByteString.CopyFrom(id);
    }

    private static KeyValue Str(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Int(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private static KeyValue Dbl(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };

    private static KeyValue Bool(string key, bool value) => new() { Key = key, Value = new AnyValue { BoolValue = value } };
}
