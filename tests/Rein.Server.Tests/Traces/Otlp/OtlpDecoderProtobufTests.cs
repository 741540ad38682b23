using Google.Protobuf;
using Rein.Core.Traces;
using Rein.Server.Traces.Otlp;
using Rein.Server.Traces.Otlp.Wire;
using WireSpan = Rein.Server.Traces.Otlp.Wire.Span;

namespace Rein.Server.Tests.Traces.Otlp;

public sealed class OtlpDecoderProtobufTests
{
    private static readonly byte[] TraceId = Convert.FromHexString("5B8EFFF798038103D269B633813FC60C");
    private static readonly byte[] SpanId = Convert.FromHexString("EEE19B7EC3C1B174");
    private static readonly byte[] ParentId = Convert.FromHexString("EEE19B7EC3C1B173");

    [Fact]
    public void DecodeProtobuf_FullRequest_MapsEveryField()
    {
        var span = NewSpan(TraceId, SpanId, ParentId);
        span.Name = "chat gpt-4o";
        span.Kind = WireSpan.Types.SpanKind.Client;
        span.StartTimeUnixNano = 1_700_000_000_000_000_001;
        span.EndTimeUnixNano = 1_700_000_000_500_000_000;
        span.Attributes.Add(Kv("s", new AnyValue { StringValue = "text" }));
        span.Attributes.Add(Kv("b", new AnyValue { BoolValue = true }));
        span.Attributes.Add(Kv("i", new AnyValue { IntValue = -42 }));
        span.Attributes.Add(Kv("d", new AnyValue { DoubleValue = 1.5 }));
        span.Attributes.Add(Kv("bytes", new AnyValue { BytesValue = ByteString.CopyFrom(1, 2, 3) }));
        span.Attributes.Add(Kv("array", new AnyValue { ArrayValue = new ArrayValue { Values = { new AnyValue { StringValue = "a" }, new AnyValue { IntValue = 7 } } } }));
        span.Attributes.Add(Kv("kvlist", new AnyValue { KvlistValue = new KeyValueList { Values = { Kv("inner", new AnyValue { BoolValue = false }) } } }));
        span.Attributes.Add(Kv("empty", new AnyValue()));
        span.Attributes.Add(new KeyValue { Key = "absent" });
        span.DroppedAttributesCount = 3;
        span.Events.Add(new WireSpan.Types.Event { Name = "gen_ai.choice", TimeUnixNano = 1_700_000_000_400_000_000, Attributes = { Kv("index", new AnyValue { IntValue = 0 }) } });
        span.DroppedEventsCount = 2;
        span.Links.Add(new WireSpan.Types.Link { TraceId = ByteString.CopyFrom(TraceId), SpanId = ByteString.CopyFrom(ParentId) });
        span.Status = new Status { Code = Status.Types.StatusCode.Error, Message = "rate limited" };
        var second = NewSpan(TraceId, Convert.FromHexString("0000000000000001"), []);
        var request = Request(Scope("openai.instrumentation", "1.2.3", span, second));
        request.ResourceSpans[0].Resource.Attributes.Add(Kv("service.name", new AnyValue { StringValue = "support-agent" }));

        var traces = OtlpDecoder.DecodeProtobuf(request.ToByteArray());

        Assert.Equal(0, traces.Rejected);
        Assert.Null(traces.RejectionMessage);
        Assert.Equal(2, traces.Spans.Count);
        var decoded = traces.Spans[0];
        Assert.Equal("5b8efff798038103d269b633813fc60c", decoded.TraceId);
        Assert.Equal("eee19b7ec3c1b174", decoded.SpanId);
        Assert.Equal("eee19b7ec3c1b173", decoded.ParentSpanId);
        Assert.Equal("chat gpt-4o", decoded.Name);
        Assert.Equal(3, decoded.Kind);
        Assert.Equal(1_700_000_000_000_000_001, decoded.StartUnixNano);
        Assert.Equal(1_700_000_000_500_000_000, decoded.EndUnixNano);
        AssertAllValueShapes(decoded.Attributes);
        Assert.Equal(3, decoded.DroppedAttributesCount);
        var e = Assert.Single(decoded.Events);
        Assert.Equal("gen_ai.choice", e.Name);
        Assert.Equal(1_700_000_000_400_000_000, e.TimeUnixNano);
        Assert.Equal(new SpanAttribute("index", 0L), Assert.Single(e.Attributes));
        Assert.Equal(2, decoded.DroppedEventsCount);
        Assert.Equal(SpanStatus.Error, decoded.Status);
        Assert.Equal("rate limited", decoded.StatusMessage);
        Assert.Equal("openai.instrumentation", decoded.ScopeName);
        Assert.Equal("1.2.3", decoded.ScopeVersion);
        Assert.Equal(new SpanAttribute("service.name", "support-agent"), Assert.Single(decoded.Resource));
        Assert.Same(decoded.Resource, traces.Spans[1].Resource);
        Assert.Equal("0000000000000001", traces.Spans[1].SpanId);
    }

    /// <summary>The attributes <see cref="DecodeProtobuf_FullRequest_MapsEveryField"/> sends, as the JSON tests send them too.</summary>
    internal static void AssertAllValueShapes(IReadOnlyList<SpanAttribute> attributes)
    {
        Assert.Equal(["s", "b", "i", "d", "bytes", "array", "kvlist", "empty", "absent"], attributes.Select(a => a.Key));
        Assert.Equal("text", attributes[0].Value);
        Assert.Equal(true, attributes[1].Value);
        Assert.Equal(-42L, attributes[2].Value);
        Assert.Equal(1.5, attributes[3].Value);
        Assert.Equal(new byte[] { 1, 2, 3 }, Assert.IsType<byte[]>(attributes[4].Value));
        Assert.Equal(["a", 7L], Assert.IsAssignableFrom<IReadOnlyList<object?>>(attributes[5].Value));
        Assert.Equal([new SpanAttribute("inner", false)], Assert.IsAssignableFrom<IReadOnlyList<SpanAttribute>>(attributes[6].Value));
        Assert.Null(attributes[7].Value);
        Assert.Null(attributes[8].Value);
    }

    [Fact]
    public void DecodeProtobuf_EmptyOptionalFields_AreNullOrZero()
    {
        var span = NewSpan(TraceId, SpanId, []);
        span.Name = "";
        span.Status = new Status();
        var request = new ExportTraceServiceRequest
        {
            ResourceSpans = { new ResourceSpans { ScopeSpans = { new ScopeSpans { Spans = { span } } } } },
        };

        var decoded = Assert.Single(OtlpDecoder.DecodeProtobuf(request.ToByteArray()).Spans);

        Assert.Null(decoded.ParentSpanId);
        Assert.Null(decoded.StatusMessage);
        Assert.Equal(SpanStatus.Unset, decoded.Status);
        Assert.Null(decoded.ScopeName);
        Assert.Null(decoded.ScopeVersion);
        Assert.Equal(0, decoded.StartUnixNano);
        Assert.Equal(0, decoded.EndUnixNano);
        Assert.Equal("", decoded.Name);
        Assert.Empty(decoded.Resource);
        Assert.Empty(decoded.Attributes);
        Assert.Empty(decoded.Events);
    }

    [Fact]
    public void DecodeProtobuf_AllZeroParent_IsARoot()
    {
        var request = Request(Scope("s", "", NewSpan(TraceId, SpanId, new byte[8])));

        Assert.Null(Assert.Single(OtlpDecoder.DecodeProtobuf(request.ToByteArray()).Spans).ParentSpanId);
    }

    [Fact]
    public void DecodeProtobuf_EmptyBody_HasNoSpans()
    {
        var traces = OtlpDecoder.DecodeProtobuf([]);

        Assert.Empty(traces.Spans);
        Assert.Equal(0, traces.Rejected);
    }

    [Theory]
    [InlineData("trace4", "trace_id must be 16 bytes (got 4)")]
    [InlineData("trace0", "trace_id must not be all zeros")]
    [InlineData("traceEmpty", "trace_id must be 16 bytes (got 0)")]
    [InlineData("span7", "span_id must be 8 bytes (got 7)")]
    [InlineData("span0", "span_id must not be all zeros")]
    [InlineData("parent3", "parent_span_id must be empty or 8 bytes (got 3)")]
    public void DecodeProtobuf_BadIds_RejectsThatSpanOnly(string bad, string reason)
    {
        var wrong = bad switch
        {
            "trace4" => NewSpan(new byte[] { 1, 2, 3, 4 }, SpanId, []),
            "trace0" => NewSpan(new byte[16], SpanId, []),
            "traceEmpty" => NewSpan([], SpanId, []),
            "span7" => NewSpan(TraceId, new byte[] { 1, 2, 3, 4, 5, 6, 7 }, []),
            "span0" => NewSpan(TraceId, new byte[8], []),
            _ => NewSpan(TraceId, SpanId, new byte[] { 1, 2, 3 }),
        };
        var request = Request(Scope("agent", "", NewSpan(TraceId, SpanId, []), wrong, NewSpan(TraceId, ParentId, SpanId)));

        var traces = OtlpDecoder.DecodeProtobuf(request.ToByteArray());

        Assert.Equal(2, traces.Spans.Count);
        Assert.Equal(1, traces.Rejected);
        Assert.Equal($"1 span rejected: span 1 of scope 'agent': {reason}", traces.RejectionMessage);
    }

    [Fact]
    public void DecodeProtobuf_ManyRejections_MessageKeepsThreeExamples()
    {
        var scope = Scope("agent", "");
        for (var i = 0; i < 50; i++)
        {
            scope.Spans.Add(NewSpan(new byte[] { 1 }, SpanId, []));
        }

        scope.Spans.Add(NewSpan(TraceId, SpanId, []));
        var noName = new ScopeSpans { Spans = { NewSpan(TraceId, new byte[8], []) } };
        var request = Request(scope, noName);

        var traces = OtlpDecoder.DecodeProtobuf(request.ToByteArray());

        Assert.Single(traces.Spans);
        Assert.Equal(51, traces.Rejected);
        Assert.Equal(
            "51 spans rejected: span 0 of scope 'agent': trace_id must be 16 bytes (got 1); span 1 of scope 'agent': trace_id must be 16 bytes (got 1); "
            + "span 2 of scope 'agent': trace_id must be 16 bytes (got 1); and 48 more",
            traces.RejectionMessage);
    }

    [Fact]
    public void DecodeProtobuf_LongScopeName_IsShortenedInTheMessage()
    {
        var request = Request(Scope(new string('x', 1000), "", NewSpan([], SpanId, [])));

        var message = OtlpDecoder.DecodeProtobuf(request.ToByteArray()).RejectionMessage!;

        Assert.True(message.Length < 200, message);
        Assert.Contains("'" + new string('x', 64) + "…'", message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeProtobuf_Truncated_ThrowsWithTheLibrarysReason()
    {
        var bytes = Request(Scope("s", "", NewSpan(TraceId, SpanId, []))).ToByteArray();

        var e = Assert.Throws<OtlpFormatException>(() => OtlpDecoder.DecodeProtobuf(bytes.AsSpan(0, bytes.Length - 3)));

        Assert.Contains("not a valid OTLP protobuf", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DecodeProtobuf_InvalidWireType_Throws()
    {
        // Field 1 with wire type 7, which does not exist.
        var e = Assert.Throws<OtlpFormatException>(() => OtlpDecoder.DecodeProtobuf([0x0F, 0x00]));

        Assert.Contains("wire type", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void DecodeProtobuf_JsonBody_Throws()
    {
        Assert.Throws<OtlpFormatException>(() => OtlpDecoder.DecodeProtobuf("{\"resourceSpans\":[]}"u8));
    }

    [Fact]
    public void DecodeProtobuf_ValueNestedToTheLimit_Decodes()
    {
        var request = Request(Scope("s", "", SpanWithNestedValue(OtlpDecoder.MaxValueDepth)));

        var value = Assert.Single(Assert.Single(OtlpDecoder.DecodeProtobuf(request.ToByteArray()).Spans).Attributes).Value;

        for (var level = 1; level < OtlpDecoder.MaxValueDepth; level++)
        {
            value = Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<object?>>(value));
        }

        Assert.Equal("deep", value);
    }

    [Theory]
    [InlineData(OtlpDecoder.MaxValueDepth + 1)]
    [InlineData(500)]
    public void DecodeProtobuf_ValueNestedPastTheLimit_ThrowsNestedTooDeeply(int depth)
    {
        var request = Request(Scope("s", "", SpanWithNestedValue(depth)));

        var e = Assert.Throws<OtlpFormatException>(() => OtlpDecoder.DecodeProtobuf(request.ToByteArray()));

        Assert.Matches("nested too deeply|too many levels of nesting", e.Message);
    }

    [Fact]
    public void DecodeProtobuf_UnknownFields_AreSkipped()
    {
        var bytes = Request(Scope("s", "", NewSpan(TraceId, SpanId, []))).ToByteArray();
        // Field 99 (varint 5) appended at the top level: a field from a newer OTLP.
        var extended = bytes.Concat(new byte[] { 0x98, 0x06, 0x05 }).ToArray();

        Assert.Single(OtlpDecoder.DecodeProtobuf(extended).Spans);
    }

    internal static WireSpan SpanWithNestedValue(int depth)
    {
        var value = new AnyValue { StringValue = "deep" };
        for (var level = 1; level < depth; level++)
        {
            value = new AnyValue { ArrayValue = new ArrayValue { Values = { value } } };
        }

        var span = NewSpan(TraceId, SpanId, []);
        span.Attributes.Add(Kv("nested", value));
        return span;
    }

    internal static WireSpan NewSpan(byte[] traceId, byte[] spanId, byte[] parentId) => new()
    {
        TraceId = ByteString.CopyFrom(traceId),
        SpanId = ByteString.CopyFrom(spanId),
        ParentSpanId = ByteString.CopyFrom(parentId),
        Name = "span",
    };

    internal static KeyValue Kv(string key, AnyValue value) => new() { Key = key, Value = value };

    internal static ScopeSpans Scope(string name, string version, params WireSpan[] spans) => new()
    {
        Scope = new InstrumentationScope { Name = name, Version = version },
        Spans = { spans },
    };

    internal static ExportTraceServiceRequest Request(params ScopeSpans[] scopes) => new()
    {
        ResourceSpans = { new ResourceSpans { Resource = new Resource(), ScopeSpans = { scopes } } },
    };
}
