using Google.Protobuf;
using Google.Protobuf.Collections;
using Rein.Core.Traces;
using Rein.Server.Traces.Otlp.Wire;
using WireSpan = Rein.Server.Traces.Otlp.Wire.Span;

namespace Rein.Server.Traces.Otlp;

/// <summary>
/// Decodes an OTLP/HTTP trace export body (binary protobuf or OTLP/JSON) straight into <see cref="RawSpan"/>s. Only the
/// wire format is checked here: ids must be usable, everything else is taken as sent and judged later.
/// </summary>
internal static partial class OtlpDecoder
{
    /// <summary>How deep attribute values (arrays and key-value lists inside each other) may nest.</summary>
    public const int MaxValueDepth = 32;

    private static readonly string NestedTooDeeply =
        $"an attribute value is nested too deeply (the limit is {MaxValueDepth} levels of arrays and key-value lists)";
    private const int TraceIdBytes = 16;
    private const int SpanIdBytes = 8;

    // Boxed once: attribute values are objects, and most booleans are one of two.
    private static readonly object True = true;
    private static readonly object False = false;

    /// <summary>Decodes a binary protobuf <c>ExportTraceServiceRequest</c>.</summary>
    /// <exception cref="OtlpFormatException">The body is not a valid protobuf message of that type.</exception>
    public static OtlpTraces DecodeProtobuf(ReadOnlySpan<byte> body)
    {
        ExportTraceServiceRequest request;
        try
        {
            // Google.Protobuf bounds nesting (100 messages by default) and throws rather than overflowing the stack.
            request = ExportTraceServiceRequest.Parser.ParseFrom(body);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new OtlpFormatException($"the body is not a valid OTLP protobuf ExportTraceServiceRequest: {e.Message}", e);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentOutOfRangeException or OverflowException)
        {
            // Google.Protobuf's span parser can run past the end on a length prefix larger than what is left of a
            // nested message, instead of throwing InvalidProtocolBufferException: the body is cut short all the same.
            throw new OtlpFormatException("the body is not a valid OTLP protobuf ExportTraceServiceRequest: a field's length runs past the end of the message that holds it (the body is truncated or corrupt)", e);
        }

        var count = 0;
        foreach (var resourceSpans in request.ResourceSpans)
        {
            foreach (var scopeSpans in resourceSpans.ScopeSpans)
            {
                count += scopeSpans.Spans.Count;
            }
        }

        var spans = new List<RawSpan>(count);
        var rejections = new SpanRejections();
        int r = 0, s = 0, i = -1;
        try
        {
            for (r = 0; r < request.ResourceSpans.Count; r++)
            {
                var resourceSpans = request.ResourceSpans[r];
                s = -1;
                var resource = MapAttributes(resourceSpans.Resource?.Attributes, 1);
                for (s = 0; s < resourceSpans.ScopeSpans.Count; s++)
                {
                    var scopeSpans = resourceSpans.ScopeSpans[s];
                    var scopeName = NullIfEmpty(scopeSpans.Scope?.Name);
                    var scopeVersion = NullIfEmpty(scopeSpans.Scope?.Version);
                    for (i = 0; i < scopeSpans.Spans.Count; i++)
                    {
                        var span = scopeSpans.Spans[i];
                        var problem = CheckIds(span);
                        if (problem is not null)
                        {
                            rejections.Add(i, scopeName, problem);
                            continue;
                        }

                        spans.Add(new RawSpan
                        {
                            TraceId = Convert.ToHexStringLower(span.TraceId.Span),
                            SpanId = Convert.ToHexStringLower(span.SpanId.Span),
                            ParentSpanId = ParentOf(span.ParentSpanId),
                            Name = span.Name,
                            Kind = (int)span.Kind,
                            StartUnixNano = Nanos(span.StartTimeUnixNano),
                            EndUnixNano = Nanos(span.EndTimeUnixNano),
                            Attributes = MapAttributes(span.Attributes, 1),
                            Events = MapEvents(span.Events),
                            DroppedAttributesCount = Count(span.DroppedAttributesCount),
                            DroppedEventsCount = Count(span.DroppedEventsCount),
                            Status = StatusOf(span.Status is null ? 0 : (int)span.Status.Code),
                            StatusMessage = NullIfEmpty(span.Status?.Message),
                            Resource = resource,
                            ScopeName = scopeName,
                            ScopeVersion = scopeVersion,
                        });
                    }

                    i = -1;
                }
            }
        }
        catch (OtlpFormatException e)
        {
            // Where is worked out only on failure, so the happy path builds no path strings.
            var where = s < 0 ? $"resource_spans[{r}].resource" : $"resource_spans[{r}].scope_spans[{s}].spans[{i}]";
            throw new OtlpFormatException($"{where}: {e.Message}", e);
        }

        return rejections.ToResult(spans);
    }

    private static string? CheckIds(WireSpan span)
    {
        var traceId = span.TraceId.Span;
        if (traceId.Length != TraceIdBytes)
        {
            return $"trace_id must be {TraceIdBytes} bytes (got {traceId.Length})";
        }

        if (!traceId.ContainsAnyExcept((byte)0))
        {
            return "trace_id must not be all zeros";
        }

        var spanId = span.SpanId.Span;
        if (spanId.Length != SpanIdBytes)
        {
            return $"span_id must be {SpanIdBytes} bytes (got {spanId.Length})";
        }

        if (!spanId.ContainsAnyExcept((byte)0))
        {
            return "span_id must not be all zeros";
        }

        var parent = span.ParentSpanId.Length;
        return parent is 0 or SpanIdBytes ? null : $"parent_span_id must be empty or {SpanIdBytes} bytes (got {parent})";
    }

    // OTLP: a root span has an empty parent_span_id. An all-zero id is the W3C "invalid" id, which also means no parent.
    private static string? ParentOf(ByteString parent) =>
        parent.Length == 0 || !parent.Span.ContainsAnyExcept((byte)0) ? null : Convert.ToHexStringLower(parent.Span);

    private static SpanEvent[] MapEvents(RepeatedField<WireSpan.Types.Event> events)
    {
        if (events.Count == 0)
        {
            return [];
        }

        var mapped = new SpanEvent[events.Count];
        for (var i = 0; i < mapped.Length; i++)
        {
            var e = events[i];
            mapped[i] = new SpanEvent(e.Name, Nanos(e.TimeUnixNano), MapAttributes(e.Attributes, 1));
        }

        return mapped;
    }

    private static SpanAttribute[] MapAttributes(RepeatedField<KeyValue>? attributes, int depth)
    {
        if (attributes is null || attributes.Count == 0)
        {
            return [];
        }

        var mapped = new SpanAttribute[attributes.Count];
        for (var i = 0; i < mapped.Length; i++)
        {
            var kv = attributes[i];
            mapped[i] = new SpanAttribute(kv.Key, MapValue(kv.Value, depth));
        }

        return mapped;
    }

    private static object? MapValue(AnyValue? value, int depth)
    {
        if (value is null)
        {
            return null;
        }

        if (depth > MaxValueDepth)
        {
            throw new OtlpFormatException(NestedTooDeeply);
        }

        switch (value.ValueCase)
        {
            case AnyValue.ValueOneofCase.StringValue:
                return value.StringValue;
            case AnyValue.ValueOneofCase.BoolValue:
                return value.BoolValue ? True : False;
            case AnyValue.ValueOneofCase.IntValue:
                return value.IntValue;
            case AnyValue.ValueOneofCase.DoubleValue:
                return value.DoubleValue;
            case AnyValue.ValueOneofCase.BytesValue:
                return value.BytesValue.ToByteArray();
            case AnyValue.ValueOneofCase.ArrayValue:
                var values = value.ArrayValue.Values;
                if (values.Count == 0)
                {
                    return Array.Empty<object?>();
                }

                var array = new object?[values.Count];
                for (var i = 0; i < array.Length; i++)
                {
                    array[i] = MapValue(values[i], depth + 1);
                }

                return array;
            case AnyValue.ValueOneofCase.KvlistValue:
                return MapAttributes(value.KvlistValue.Values, depth + 1);
            default:
                return null;
        }
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;

    // fixed64 on the wire; past long.MaxValue is the year 2262, kept at the largest time Rein can hold.
    private static long Nanos(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    private static int Count(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    // OTLP status codes are 0 unset, 1 ok, 2 error; a code this version does not know says nothing, like unset.
    private static SpanStatus StatusOf(long code) => code switch
    {
        1 => SpanStatus.Ok,
        2 => SpanStatus.Error,
        _ => SpanStatus.Unset,
    };
}
