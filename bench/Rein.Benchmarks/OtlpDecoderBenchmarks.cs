using System.Buffers;
using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Google.Protobuf;
using Rein.Server.Traces.Otlp;
using Rein.Server.Traces.Otlp.Wire;
using WireSpan = Rein.Server.Traces.Otlp.Wire.Span;

namespace Rein.Benchmarks;

/// <summary>
/// Decoding one OTLP export of GenAI spans into RawSpans, the CPU part of trace ingest. Figures are per span
/// (OperationsPerInvoke): ingest must reach 50k spans/s on two cores including storage, so decoding should cost a
/// few microseconds per span.
/// </summary>
[MemoryDiagnoser]
public class OtlpDecoderBenchmarks
{
    // The OpenTelemetry SDKs' default batch size (OTEL_BSP_MAX_EXPORT_BATCH_SIZE).
    private const int SpansPerRequest = 512;

    private byte[] _protobuf = [];
    private byte[] _json = [];

    [GlobalSetup]
    public void Setup()
    {
        var request = GenAiRequest(SpansPerRequest);
        _protobuf = request.ToByteArray();
        _json = ToOtlpJson(request);
        if (OtlpDecoder.DecodeJson(_json).Spans.Count != SpansPerRequest || OtlpDecoder.DecodeProtobuf(_protobuf).Spans.Count != SpansPerRequest)
        {
            throw new InvalidOperationException("The benchmark request does not decode to every span.");
        }
    }

    // http/protobuf: the default OTLP protocol of the OpenTelemetry SDKs, so the path nearly every exporter takes.
    [Benchmark(Baseline = true, OperationsPerInvoke = SpansPerRequest)]
    public int Protobuf() => OtlpDecoder.DecodeProtobuf(_protobuf).Spans.Count;

    // http/json: what browser and hand-rolled exporters send; larger on the wire and parsed by hand, so the slower path.
    [Benchmark(OperationsPerInvoke = SpansPerRequest)]
    public int Json() => OtlpDecoder.DecodeJson(_json).Spans.Count;

    /// <summary>Chat spans as GenAI instrumentation reports them: 25 attributes, about 2 KB of message text.</summary>
    private static ExportTraceServiceRequest GenAiRequest(int spans)
    {
        var random = new Random(7);
        var scope = new ScopeSpans { Scope = new InstrumentationScope { Name = "opentelemetry.instrumentation.openai", Version = "0.48.0" } };
        var traceId = new byte[16];
        var input = JsonSerializer.Serialize(new[]
        {
            new { role = "system", content = new string('s', 600) },
            new { role = "user", content = "Where is my order 8812? It was due on Tuesday and the tracking page says it is still in the warehouse. " + new string('u', 500) },
        });
        var output = JsonSerializer.Serialize(new[] { new { role = "assistant", content = new string('a', 700), finish_reason = "stop" } });
        for (var i = 0; i < spans; i++)
        {
            if (i % 8 == 0)
            {
                random.NextBytes(traceId);
            }

            var spanId = new byte[8];
            random.NextBytes(spanId);
            var start = 1_760_000_000_000_000_000UL + (ulong)i * 1_000_000;
            var span = new WireSpan
            {
                TraceId = ByteString.CopyFrom(traceId),
                SpanId = ByteString.CopyFrom(spanId),
                ParentSpanId = i % 8 == 0 ? ByteString.Empty : ByteString.CopyFrom(traceId, 0, 8),
                Name = "chat gpt-4o",
                Kind = WireSpan.Types.SpanKind.Client,
                StartTimeUnixNano = start,
                EndTimeUnixNano = start + 850_000_000,
                Status = new Status { Code = Status.Types.StatusCode.Ok },
                Attributes =
                {
                    Text("gen_ai.operation.name", "chat"),
                    Text("gen_ai.provider.name", "openai"),
                    Text("gen_ai.request.model", "gpt-4o"),
                    Text("gen_ai.response.model", "gpt-4o-2024-08-06"),
                    Number("gen_ai.request.temperature", 0.2),
                    Number("gen_ai.request.top_p", 1.0),
                    Integer("gen_ai.request.max_tokens", 1024),
                    Integer("gen_ai.usage.input_tokens", 812 + i),
                    Integer("gen_ai.usage.output_tokens", 164),
                    Integer("gen_ai.usage.cached_input_tokens", 512),
                    Text("gen_ai.response.id", $"chatcmpl-{i:x12}"),
                    Strings("gen_ai.response.finish_reasons", "stop"),
                    Strings("gen_ai.request.stop_sequences", "\n\nUser:", "<|end|>"),
                    Text("gen_ai.agent.name", "support-agent"),
                    Text("gen_ai.agent.id", "agent-7f3a"),
                    Text("gen_ai.conversation.id", $"conv-{i / 8}"),
                    Text("server.address", "api.openai.com"),
                    Integer("server.port", 443),
                    Text("session.id", $"sess-{i / 64}"),
                    Text("user.id", "user-1234"),
                    Text("rein.run.id", $"run-{i / 8}"),
                    new KeyValue { Key = "rein.streaming", Value = new AnyValue { BoolValue = false } },
                    Integer("http.response.status_code", 200),
                    Text("gen_ai.input.messages", input),
                    Text("gen_ai.output.messages", output),
                },
            };
            scope.Spans.Add(span);
        }

        var resource = new Resource { Attributes = { Text("service.name", "support-agent"), Text("service.version", "1.4.2"), Text("deployment.environment.name", "production") } };
        return new ExportTraceServiceRequest { ResourceSpans = { new ResourceSpans { Resource = resource, ScopeSpans = { scope } } } };
    }

    private static KeyValue Text(string key, string value) => new() { Key = key, Value = new AnyValue { StringValue = value } };

    private static KeyValue Integer(string key, long value) => new() { Key = key, Value = new AnyValue { IntValue = value } };

    private static KeyValue Number(string key, double value) => new() { Key = key, Value = new AnyValue { DoubleValue = value } };

    private static KeyValue Strings(string key, params string[] values) => new()
    {
        Key = key,
        Value = new AnyValue { ArrayValue = new ArrayValue { Values = { values.Select(v => new AnyValue { StringValue = v }) } } },
    };

    /// <summary>OTLP/JSON as the OpenTelemetry JavaScript exporter writes it: hex ids, 64-bit integers as strings.</summary>
    private static byte[] ToOtlpJson(ExportTraceServiceRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("resourceSpans");
            foreach (var resourceSpans in request.ResourceSpans)
            {
                json.WriteStartObject();
                json.WriteStartObject("resource");
                WriteAttributes(json, resourceSpans.Resource.Attributes);
                json.WriteEndObject();
                json.WriteStartArray("scopeSpans");
                foreach (var scopeSpans in resourceSpans.ScopeSpans)
                {
                    json.WriteStartObject();
                    json.WriteStartObject("scope");
                    json.WriteString("name", scopeSpans.Scope.Name);
                    json.WriteString("version", scopeSpans.Scope.Version);
                    json.WriteEndObject();
                    json.WriteStartArray("spans");
                    foreach (var span in scopeSpans.Spans)
                    {
                        json.WriteStartObject();
                        json.WriteString("traceId", Convert.ToHexStringLower(span.TraceId.Span));
                        json.WriteString("spanId", Convert.ToHexStringLower(span.SpanId.Span));
                        json.WriteString("parentSpanId", Convert.ToHexStringLower(span.ParentSpanId.Span));
                        json.WriteString("name", span.Name);
                        json.WriteNumber("kind", (int)span.Kind);
                        json.WriteString("startTimeUnixNano", span.StartTimeUnixNano.ToString(CultureInfo.InvariantCulture));
                        json.WriteString("endTimeUnixNano", span.EndTimeUnixNano.ToString(CultureInfo.InvariantCulture));
                        WriteAttributes(json, span.Attributes);
                        json.WriteStartObject("status");
                        json.WriteNumber("code", (int)span.Status.Code);
                        json.WriteEndObject();
                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                    json.WriteEndObject();
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteAttributes(Utf8JsonWriter json, IEnumerable<KeyValue> attributes)
    {
        json.WriteStartArray("attributes");
        foreach (var kv in attributes)
        {
            json.WriteStartObject();
            json.WriteString("key", kv.Key);
            json.WritePropertyName("value");
            WriteValue(json, kv.Value);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void WriteValue(Utf8JsonWriter json, AnyValue value)
    {
        json.WriteStartObject();
        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                json.WriteString("stringValue", value.StringValue);
                break;
            case AnyValue.ValueOneofCase.BoolValue:
                json.WriteBoolean("boolValue", value.BoolValue);
                break;
            case AnyValue.ValueOneofCase.IntValue:
                json.WriteString("intValue", value.IntValue.ToString(CultureInfo.InvariantCulture));
                break;
            case AnyValue.ValueOneofCase.DoubleValue:
                json.WriteNumber("doubleValue", value.DoubleValue);
                break;
            case AnyValue.ValueOneofCase.ArrayValue:
                json.WriteStartObject("arrayValue");
                json.WriteStartArray("values");
                foreach (var item in value.ArrayValue.Values)
                {
                    WriteValue(json, item);
                }

                json.WriteEndArray();
                json.WriteEndObject();
                break;
            default:
                throw new NotSupportedException(value.ValueCase.ToString());
        }

        json.WriteEndObject();
    }
}
