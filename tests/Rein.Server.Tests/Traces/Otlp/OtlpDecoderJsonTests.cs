using System.Text;
using Rein.Core.Traces;
using Rein.Server.Traces.Otlp;

namespace Rein.Server.Tests.Traces.Otlp;

public sealed class OtlpDecoderJsonTests
{
    // Shaped like the OTLP/JSON trace example of opentelemetry-proto: hex ids, int64 as strings, enums as numbers.
    private const string Example = """
        {
          "resourceSpans": [
            {
              "resource": {
                "attributes": [ { "key": "service.name", "value": { "stringValue": "support-agent" } } ]
              },
              "scopeSpans": [
                {
                  "scope": { "name": "openai.instrumentation", "version": "1.2.3", "attributes": [] },
                  "spans": [
                    {
                      "traceId": "5B8EFFF798038103D269B633813FC60C",
                      "spanId": "eee19b7ec3c1b174",
                      "parentSpanId": "eee19b7ec3c1b173",
                      "name": "chat gpt-4o",
                      "startTimeUnixNano": "1700000000000000001",
                      "endTimeUnixNano": 1700000000500000000,
                      "kind": 3,
                      "attributes": [
                        { "key": "s", "value": { "stringValue": "text" } },
                        { "key": "b", "value": { "boolValue": true } },
                        { "key": "i", "value": { "intValue": "-42" } },
                        { "key": "d", "value": { "doubleValue": 1.5 } },
                        { "key": "bytes", "value": { "bytesValue": "AQID" } },
                        { "key": "array", "value": { "arrayValue": { "values": [ { "stringValue": "a" }, { "intValue": 7 } ] } } },
                        { "key": "kvlist", "value": { "kvlistValue": { "values": [ { "key": "inner", "value": { "boolValue": false } } ] } } },
                        { "key": "empty", "value": {} },
                        { "key": "absent" }
                      ],
                      "droppedAttributesCount": 3,
                      "events": [
                        { "timeUnixNano": "1700000000400000000", "name": "gen_ai.choice", "attributes": [ { "key": "index", "value": { "intValue": 0 } } ] }
                      ],
                      "droppedEventsCount": 2,
                      "links": [ { "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b173" } ],
                      "status": { "code": 2, "message": "rate limited" }
                    },
                    { "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "0000000000000001", "name": "tool" }
                  ]
                }
              ]
            }
          ]
        }
        """;

    [Fact]
    public void DecodeJson_SpecShapedExample_MapsEveryField()
    {
        var traces = Decode(Example);

        Assert.Equal(0, traces.Rejected);
        Assert.Null(traces.RejectionMessage);
        Assert.Equal(2, traces.Spans.Count);
        var span = traces.Spans[0];
        Assert.Equal("5b8efff798038103d269b633813fc60c", span.TraceId);
        Assert.Equal("eee19b7ec3c1b174", span.SpanId);
        Assert.Equal("eee19b7ec3c1b173", span.ParentSpanId);
        Assert.Equal("chat gpt-4o", span.Name);
        Assert.Equal(3, span.Kind);
        Assert.Equal(1_700_000_000_000_000_001, span.StartUnixNano);
        Assert.Equal(1_700_000_000_500_000_000, span.EndUnixNano);
        OtlpDecoderProtobufTests.AssertAllValueShapes(span.Attributes);
        Assert.Equal(3, span.DroppedAttributesCount);
        var e = Assert.Single(span.Events);
        Assert.Equal("gen_ai.choice", e.Name);
        Assert.Equal(1_700_000_000_400_000_000, e.TimeUnixNano);
        Assert.Equal(new SpanAttribute("index", 0L), Assert.Single(e.Attributes));
        Assert.Equal(2, span.DroppedEventsCount);
        Assert.Equal(SpanStatus.Error, span.Status);
        Assert.Equal("rate limited", span.StatusMessage);
        Assert.Equal("openai.instrumentation", span.ScopeName);
        Assert.Equal("1.2.3", span.ScopeVersion);
        Assert.Equal(new SpanAttribute("service.name", "support-agent"), Assert.Single(span.Resource));
        Assert.Same(span.Resource, traces.Spans[1].Resource);
        Assert.Null(traces.Spans[1].ParentSpanId);
        Assert.Equal(SpanStatus.Unset, traces.Spans[1].Status);
        Assert.Null(traces.Spans[1].StatusMessage);
    }

    [Fact]
    public void DecodeJson_SameRequestAsProtobuf_GivesTheSameSpans()
    {
        var json = Decode(Example).Spans[0];
        var wire = OtlpDecoderProtobufTests.NewSpan(
            Convert.FromHexString("5b8efff798038103d269b633813fc60c"), Convert.FromHexString("eee19b7ec3c1b174"), Convert.FromHexString("eee19b7ec3c1b173"));
        wire.Name = "chat gpt-4o";
        wire.StartTimeUnixNano = 1_700_000_000_000_000_001;
        wire.EndTimeUnixNano = 1_700_000_000_500_000_000;
        var protobuf = Assert.Single(OtlpDecoder.DecodeProtobuf(Google.Protobuf.MessageExtensions.ToByteArray(
            OtlpDecoderProtobufTests.Request(OtlpDecoderProtobufTests.Scope("openai.instrumentation", "1.2.3", wire)))).Spans);

        Assert.Equal(
            (protobuf.TraceId, protobuf.SpanId, protobuf.ParentSpanId, protobuf.Name, protobuf.StartUnixNano, protobuf.EndUnixNano, protobuf.ScopeName, protobuf.ScopeVersion),
            (json.TraceId, json.SpanId, json.ParentSpanId, json.Name, json.StartUnixNano, json.EndUnixNano, json.ScopeName, json.ScopeVersion));
    }

    [Theory]
    [InlineData("\"1700000000000000001\"")]
    [InlineData("1700000000000000001")]
    public void DecodeJson_Int64AsStringOrNumber_BothAccepted(string time)
    {
        var span = Assert.Single(Decode(OneSpan($"\"startTimeUnixNano\": {time}, \"attributes\": [{{\"key\":\"n\",\"value\":{{\"intValue\": {time}}}}}]")).Spans);

        Assert.Equal(1_700_000_000_000_000_001, span.StartUnixNano);
        Assert.Equal(1_700_000_000_000_000_001L, Assert.Single(span.Attributes).Value);
    }

    [Fact]
    public void DecodeJson_UppercaseHex_IsLowercased()
    {
        var span = Assert.Single(Decode(OneSpan("", traceId: "ABCDEF0123456789ABCDEF0123456789", spanId: "ABCDEF0123456789")).Spans);

        Assert.Equal("abcdef0123456789abcdef0123456789", span.TraceId);
        Assert.Equal("abcdef0123456789", span.SpanId);
    }

    [Fact]
    public void DecodeJson_SnakeCaseNames_AreUnknownFieldsAndIgnored()
    {
        // OTLP/JSON: original field names are not valid keys; unknown keys must be ignored.
        Assert.Empty(Decode("""{"resource_spans":[{"scope_spans":[{"spans":[{}]}]}]}""").Spans);

        var traces = Decode("""{"resourceSpans":[{"scopeSpans":[{"spans":[{"trace_id":"5b8efff798038103d269b633813fc60c","span_id":"eee19b7ec3c1b174"}]}]}]}""");

        Assert.Equal(1, traces.Rejected);
        Assert.Equal("1 span rejected: span 0 of an unnamed scope: traceId is missing or empty", traces.RejectionMessage);
    }

    [Fact]
    public void DecodeJson_UnknownFieldsAtEveryLevel_AreIgnored()
    {
        var json = """
            {
              "future": {"deep": [[[{"x": 1}]]]},
              "resourceSpans": [{
                "schemaUrl": "https://opentelemetry.io/schemas/1.26.0",
                "resource": {"attributes": [{"key": "k", "value": {"stringValue": "v", "futureValue": [1, 2]}, "extra": null}], "droppedAttributesCount": 0, "entityRefs": [{}]},
                "scopeSpans": [{
                  "scope": {"name": "s", "droppedAttributesCount": 1},
                  "spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174", "traceState": "a=b", "flags": 257,
                             "droppedLinksCount": 4, "newField": {"a": [true]}, "status": {"code": 1, "detail": "x"}}]
                }]
              }],
              "trailingUnknown": "x"
            }
            """;

        var span = Assert.Single(Decode(json).Spans);

        Assert.Equal(new SpanAttribute("k", "v"), Assert.Single(span.Resource));
        Assert.Equal(SpanStatus.Ok, span.Status);
    }

    [Fact]
    public void DecodeJson_ScopeSpansBeforeResource_SpansStillShareTheResource()
    {
        var json = """
            {"resourceSpans":[{
              "scopeSpans":[{"spans":[
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"},
                {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175"}]}],
              "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"late"}}]}
            }]}
            """;

        var traces = Decode(json);

        Assert.Equal(2, traces.Spans.Count);
        Assert.Equal(new SpanAttribute("service.name", "late"), Assert.Single(traces.Spans[0].Resource));
        Assert.Same(traces.Spans[0].Resource, traces.Spans[1].Resource);
    }

    [Fact]
    public void DecodeJson_SpansBeforeScope_CarryTheScope()
    {
        var json = """
            {"resourceSpans":[{"scopeSpans":[{
              "spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}, {"traceId":"00","spanId":"eee19b7ec3c1b174"}],
              "scope":{"name":"late-scope","version":"2"}
            }]}]}
            """;

        var traces = Decode(json);

        var span = Assert.Single(traces.Spans);
        Assert.Equal("late-scope", span.ScopeName);
        Assert.Equal("2", span.ScopeVersion);
        Assert.StartsWith("1 span rejected: span 1 of scope 'late-scope':", traces.RejectionMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeJson_NullFields_AreDefaults()
    {
        var json = """
            {"resourceSpans":[{"resource":null,"scopeSpans":[{"scope":null,"spans":[
              {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":null,"name":null,"kind":null,
               "startTimeUnixNano":null,"attributes":null,"events":null,"status":null,"droppedAttributesCount":null}]}]}]}
            """;

        var span = Assert.Single(Decode(json).Spans);

        Assert.Null(span.ParentSpanId);
        Assert.Equal("", span.Name);
        Assert.Equal(0, span.Kind);
        Assert.Equal(0, span.StartUnixNano);
        Assert.Empty(span.Attributes);
        Assert.Empty(span.Events);
        Assert.Empty(span.Resource);
        Assert.Null(span.ScopeName);
    }

    [Fact]
    public void DecodeJson_EmptyParentOrAllZeroParent_IsARoot()
    {
        var traces = Decode(OneSpan("\"parentSpanId\": \"\""));
        var zero = Decode(OneSpan("\"parentSpanId\": \"0000000000000000\""));

        Assert.Null(Assert.Single(traces.Spans).ParentSpanId);
        Assert.Null(Assert.Single(zero.Spans).ParentSpanId);
    }

    [Fact]
    public void DecodeJson_SpecialValues_Decode()
    {
        var attributes = Assert.Single(Decode(OneSpan("""
            "attributes": [
              {"key": "nan", "value": {"doubleValue": "NaN"}},
              {"key": "inf", "value": {"doubleValue": "-Infinity"}},
              {"key": "text-double", "value": {"doubleValue": "2.5"}},
              {"key": "int-double", "value": {"doubleValue": 3}},
              {"key": "urlsafe", "value": {"bytesValue": "-_8"}},
              {"key": "escaped", "value": {"stringValue": "line\nbreak \u00e9"}},
              {"key": "empty-array", "value": {"arrayValue": {}}},
              {"key": "empty-kvlist", "value": {"kvlistValue": {"values": []}}},
              {"key": "null-value", "value": null}
            ]
            """)).Spans).Attributes;

        Assert.True(double.IsNaN((double)attributes[0].Value!));
        Assert.Equal(double.NegativeInfinity, attributes[1].Value);
        Assert.Equal(2.5, attributes[2].Value);
        Assert.Equal(3.0, attributes[3].Value);
        Assert.Equal(new byte[] { 0xFB, 0xFF }, attributes[4].Value);
        Assert.Equal("line\nbreak é", attributes[5].Value);
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyList<object?>>(attributes[6].Value));
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyList<SpanAttribute>>(attributes[7].Value));
        Assert.Null(attributes[8].Value);
    }

    [Fact]
    public void DecodeJson_RepeatedKeysAcrossSpans_ShareOneString()
    {
        var json = """
            {"resourceSpans":[{"scopeSpans":[{"spans":[
              {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","attributes":[{"key":"gen_ai.system","value":{"stringValue":"openai"}}]},
              {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","attributes":[{"key":"gen_ai.system","value":{"stringValue":"openai"}}]}
            ]}]}]}
            """;

        var spans = Decode(json).Spans;

        Assert.Same(spans[0].Attributes[0].Key, spans[1].Attributes[0].Key);
        Assert.Same(spans[0].Attributes[0].Value, spans[1].Attributes[0].Value);
    }

    [Theory]
    [InlineData("\"traceId\": \"5b8efff7\", \"spanId\": \"eee19b7ec3c1b174\"", "traceId must be 32 hex digits (got 8)")]
    [InlineData("\"traceId\": \"W47/95gDgQPSabYzgT/GDA==\", \"spanId\": \"eee19b7ec3c1b174\"", "traceId must be 32 hex digits (got 24); OTLP/JSON ids are hex, not base64")]
    [InlineData("\"traceId\": \"00000000000000000000000000000000\", \"spanId\": \"eee19b7ec3c1b174\"", "traceId must not be all zeros")]
    [InlineData("\"traceId\": \"5b8efff798038103d269b633813fc60g\", \"spanId\": \"eee19b7ec3c1b174\"", "traceId must be hex digits only (found 'g' at 31)")]
    [InlineData("\"traceId\": \"\", \"spanId\": \"eee19b7ec3c1b174\"", "traceId is missing or empty")]
    [InlineData("\"traceId\": \"5b8efff798038103d269b633813fc60c\", \"spanId\": \"eee19b7ec3c1b1\"", "spanId must be 16 hex digits (got 14)")]
    [InlineData("\"traceId\": \"5b8efff798038103d269b633813fc60c\", \"spanId\": \"0000000000000000\"", "spanId must not be all zeros")]
    [InlineData("\"traceId\": \"5b8efff798038103d269b633813fc60c\"", "spanId is missing or empty")]
    [InlineData("\"traceId\": \"5b8efff798038103d269b633813fc60c\", \"spanId\": \"eee19b7ec3c1b174\", \"parentSpanId\": \"abc\"", "parentSpanId must be 16 hex digits (got 3)")]
    public void DecodeJson_BadIds_RejectThatSpanOnly(string ids, string reason)
    {
        var json = $$"""
            {"resourceSpans":[{"scopeSpans":[{"scope":{"name":"agent"},"spans":[
              {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"},
              { {{ids}} },
              {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b176"}
            ]}]}]}
            """;

        var traces = Decode(json);

        Assert.Equal(2, traces.Spans.Count);
        Assert.Equal(1, traces.Rejected);
        Assert.Equal($"1 span rejected: span 1 of scope 'agent': {reason}", traces.RejectionMessage);
    }

    [Theory]
    [InlineData("\"startTimeUnixNano\": true", "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an integer or a string of digits")]
    [InlineData("\"startTimeUnixNano\": \"12a\"", "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: expected an integer or a string of digits")]
    [InlineData("\"endTimeUnixNano\": -1", "resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano: expected an integer")]
    [InlineData("\"kind\": \"SPAN_KIND_SERVER\"", "resourceSpans[0].scopeSpans[0].spans[0].kind: expected an integer: OTLP/JSON sends enum values as numbers, not names")]
    [InlineData("\"name\": 5", "resourceSpans[0].scopeSpans[0].spans[0].name: expected a string")]
    [InlineData("\"traceId\": 5", "resourceSpans[0].scopeSpans[0].spans[0].traceId: expected a string of hex digits")]
    [InlineData("\"attributes\": {}", "resourceSpans[0].scopeSpans[0].spans[0].attributes: expected an array, found an object")]
    [InlineData("\"attributes\": [{\"key\": \"k\", \"value\": {\"intValue\": 1.5}}]", "resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.intValue: expected a 64-bit integer")]
    [InlineData("\"attributes\": [{}, {\"key\": \"k\", \"value\": {\"arrayValue\": {\"values\": [{\"boolValue\": 1}]}}}]", "resourceSpans[0].scopeSpans[0].spans[0].attributes[1].value.arrayValue.values[0].boolValue: expected true or false")]
    [InlineData("\"attributes\": [{\"key\": \"k\", \"value\": {\"bytesValue\": \"***\"}}]", "attributes[0].value.bytesValue: expected a base64 string")]
    [InlineData("\"status\": {\"code\": \"STATUS_CODE_ERROR\"}", "spans[0].status.code: expected an integer")]
    [InlineData("\"events\": [{\"timeUnixNano\": {}}]", "spans[0].events[0].timeUnixNano: expected an integer")]
    public void DecodeJson_WrongType_NamesThePathAndByte(string field, string expected)
    {
        var json = OneSpan(field);

        var e = Assert.Throws<OtlpFormatException>(() => Decode(json));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.Matches(@"\(byte \d+\)$", e.Message);
    }

    [Fact]
    public void DecodeJson_ByteOffset_PointsAtTheBadValue()
    {
        var json = OneSpan("\"kind\": \"SERVER\"");

        var e = Assert.Throws<OtlpFormatException>(() => Decode(json));

        var offset = int.Parse(System.Text.RegularExpressions.Regex.Match(e.Message, @"\(byte (\d+)\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(json.IndexOf("\"SERVER\"", StringComparison.Ordinal), offset);
    }

    [Theory]
    [InlineData("", "the body is not valid JSON")]
    [InlineData("[]", "$: expected a JSON object")]
    [InlineData("{\"resourceSpans\": [{]}", "resourceSpans[0]: the body is not valid JSON")]
    [InlineData("{\"resourceSpans\": []} trailing", "the body is not valid JSON")]
    [InlineData("{\"resourceSpans\": {}}", "resourceSpans: expected an array, found an object")]
    [InlineData("{\"resourceSpans\": [5]}", "resourceSpans[0]: expected an object, found a number")]
    [InlineData("{\"resourceSpans\": [{\"resource\": {}, \"scopeSpans\": [{\"scope\": {}, \"spans\": [{\"name\": \"unterminated", "spans[0]: the body is not valid JSON")]
    // Spans before their scope are skipped over first (see the decoder), so the reader fails at the outer level.
    [InlineData("{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"name\": \"unterminated", "resourceSpans[0]: the body is not valid JSON")]
    public void DecodeJson_Malformed_NamesWhere(string json, string expected)
    {
        var e = Assert.Throws<OtlpFormatException>(() => Decode(json));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeJson_InvalidUtf8_Throws()
    {
        var json = Encoding.UTF8.GetBytes(OneSpan("\"name\": \"xy\""));
        json[Array.IndexOf(json, (byte)'x')] = 0xFF;

        var e = Assert.Throws<OtlpFormatException>(() => OtlpDecoder.DecodeJson(json));

        Assert.StartsWith("resourceSpans[0].scopeSpans[0].spans[0]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeJson_ByteOrderMark_IsSkipped()
    {
        var json = Encoding.UTF8.GetPreamble().Concat(Encoding.UTF8.GetBytes(OneSpan(""))).ToArray();

        Assert.Single(OtlpDecoder.DecodeJson(json).Spans);
    }

    [Fact]
    public void DecodeJson_EmptyRequest_HasNoSpans()
    {
        Assert.Empty(Decode("{}").Spans);
        Assert.Empty(Decode("{\"resourceSpans\": []}").Spans);
    }

    [Fact]
    public void DecodeJson_ValueNestedToTheLimit_Decodes()
    {
        var span = Assert.Single(Decode(OneSpan(NestedAttribute(OtlpDecoder.MaxValueDepth))).Spans);

        var value = Assert.Single(span.Attributes).Value;
        for (var level = 1; level < OtlpDecoder.MaxValueDepth; level++)
        {
            value = Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<object?>>(value));
        }

        Assert.Equal("deep", value);
    }

    [Theory]
    [InlineData(OtlpDecoder.MaxValueDepth + 1)]
    [InlineData(1000)]
    public void DecodeJson_ValueNestedPastTheLimit_ThrowsNestedTooDeeply(int depth)
    {
        var e = Assert.Throws<OtlpFormatException>(() => Decode(OneSpan(NestedAttribute(depth))));

        // Past the reader's own depth limit, its message says so.
        Assert.Matches("nested too deeply|maximum configured depth", e.Message);
        Assert.StartsWith("resourceSpans[0].scopeSpans[0].spans[0].attributes[0].value.arrayValue.values[0]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DecodeJson_DeepUnknownField_IsRefusedByTheReadersDepthLimit()
    {
        var deep = new string('[', 1000) + new string(']', 1000);

        var e = Assert.Throws<OtlpFormatException>(() => Decode($"{{\"unknown\": {deep}}}"));

        Assert.Contains("depth", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static string NestedAttribute(int depth)
    {
        var value = "{\"stringValue\": \"deep\"}";
        for (var level = 1; level < depth; level++)
        {
            value = $"{{\"arrayValue\": {{\"values\": [{value}]}}}}";
        }

        return $"\"attributes\": [{{\"key\": \"nested\", \"value\": {value}}}]";
    }

    private static OtlpTraces Decode(string json) => OtlpDecoder.DecodeJson(Encoding.UTF8.GetBytes(json));

    private static string OneSpan(string fields, string traceId = "5b8efff798038103d269b633813fc60c", string spanId = "eee19b7ec3c1b174") =>
        "{\"resourceSpans\":[{\"resource\":{},\"scopeSpans\":[{\"scope\":{\"name\":\"s\"},\"spans\":[{\"traceId\":\"" + traceId + "\",\"spanId\":\"" + spanId + "\""
        + (fields.Length > 0 ? ", " + fields : "") + "}]}]}]}";
}
