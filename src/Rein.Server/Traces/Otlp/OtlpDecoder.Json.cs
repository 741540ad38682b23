using System.Buffers.Text;
using System.Text.Json;
using Rein.Core.Traces;

namespace Rein.Server.Traces.Otlp;

// OTLP/JSON is the proto3 JSON mapping with OTLP's deviations (opentelemetry-proto, docs/specification.md,
// "JSON Protobuf Encoding"): trace and span ids are case-insensitive hex, not base64; enums are integers only; keys
// are lowerCamelCase only (the original snake_case names are not valid, so they fall under the next rule); unknown
// fields are ignored. From the proto3 mapping: 64-bit integers come as decimal strings or numbers, null means the
// field's default, bytes are base64.
internal static partial class OtlpDecoder
{
    // Deep enough for MaxValueDepth attribute values (three JSON levels each) inside the request's own nesting, so
    // the reader's limit only trips on JSON that is deep for other reasons, such as an unknown field.
    private const int MaxJsonDepth = 3 * MaxValueDepth + 32;
    private const int MaxIdDigits = 2 * TraceIdBytes;

    /// <summary>Decodes an OTLP/JSON <c>ExportTraceServiceRequest</c>.</summary>
    /// <exception cref="OtlpFormatException">The body is not valid JSON or not shaped like that message; the message
    /// names the JSON path and the byte offset.</exception>
    public static OtlpTraces DecodeJson(ReadOnlySpan<byte> body)
    {
        // Utf8JsonReader refuses a byte order mark; some senders write one.
        if (body.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            body = body[3..];
        }

        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxJsonDepth });
        var context = new JsonContext();
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw context.Fail(ref reader, null, "expected a JSON object (an ExportTraceServiceRequest)");
            }

            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("resourceSpans"u8))
                {
                    reader.Read();
                    context.Path.Push("resourceSpans");
                    if (StartArray(ref reader, context))
                    {
                        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
                        {
                            context.Path.Index(i);
                            ReadResourceSpans(ref reader, context);
                        }
                    }

                    context.Path.Pop();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            // Anything after the object other than white space makes the reader throw.
            reader.Read();
        }
        catch (JsonException e)
        {
            throw new OtlpFormatException($"{context.Path}: the body is not valid JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            // The reader's own complaints about a value it cannot convert, such as a string that is not valid UTF-8.
            throw new OtlpFormatException($"{context.Path}: {e.Message} (byte {reader.TokenStartIndex})", e);
        }

        return context.Rejections.ToResult(context.Spans);
    }

    private static void ReadResourceSpans(ref Utf8JsonReader reader, JsonContext context)
    {
        ExpectObject(ref reader, context, null);
        IReadOnlyList<SpanAttribute>? resource = null;
        // The resource has to be known before the spans that share it are built; JSON does not fix the key order,
        // so scopeSpans seen first is skipped and read again from this copy of the reader once the object ends.
        var deferred = default(Utf8JsonReader);
        var hasDeferred = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("resource"u8))
            {
                reader.Read();
                context.Path.Push("resource");
                resource = ReadResource(ref reader, context);
                context.Path.Pop();
            }
            else if (reader.ValueTextEquals("scopeSpans"u8))
            {
                reader.Read();
                if (resource is not null)
                {
                    ReadScopeSpansArray(ref reader, context, resource);
                }
                else if (!hasDeferred)
                {
                    deferred = reader;
                    hasDeferred = true;
                    reader.Skip();
                }
                else
                {
                    throw context.Fail(ref reader, "scopeSpans", "the field appears twice");
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (hasDeferred)
        {
            ReadScopeSpansArray(ref deferred, context, resource ?? []);
        }
    }

    private static IReadOnlyList<SpanAttribute> ReadResource(ref Utf8JsonReader reader, JsonContext context)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return [];
        }

        ExpectObject(ref reader, context, null);
        IReadOnlyList<SpanAttribute> attributes = [];
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("attributes"u8))
            {
                reader.Read();
                attributes = ReadKeyValues(ref reader, context, "attributes", 1);
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return attributes;
    }

    private static void ReadScopeSpansArray(ref Utf8JsonReader reader, JsonContext context, IReadOnlyList<SpanAttribute> resource)
    {
        context.Path.Push("scopeSpans");
        if (StartArray(ref reader, context))
        {
            for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
            {
                context.Path.Index(i);
                ReadScopeSpans(ref reader, context, resource);
            }
        }

        context.Path.Pop();
    }

    private static void ReadScopeSpans(ref Utf8JsonReader reader, JsonContext context, IReadOnlyList<SpanAttribute> resource)
    {
        ExpectObject(ref reader, context, null);
        string? scopeName = null, scopeVersion = null;
        var scopeSeen = false;
        // As for the resource: every span carries its scope's name, so spans before scope are read after it.
        var deferred = default(Utf8JsonReader);
        var hasDeferred = false;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("scope"u8))
            {
                reader.Read();
                context.Path.Push("scope");
                (scopeName, scopeVersion) = ReadScope(ref reader, context);
                context.Path.Pop();
                scopeSeen = true;
            }
            else if (reader.ValueTextEquals("spans"u8))
            {
                reader.Read();
                if (scopeSeen)
                {
                    ReadSpans(ref reader, context, resource, scopeName, scopeVersion);
                }
                else if (!hasDeferred)
                {
                    deferred = reader;
                    hasDeferred = true;
                    reader.Skip();
                }
                else
                {
                    throw context.Fail(ref reader, "spans", "the field appears twice");
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (hasDeferred)
        {
            ReadSpans(ref deferred, context, resource, scopeName, scopeVersion);
        }
    }

    private static (string? Name, string? Version) ReadScope(ref Utf8JsonReader reader, JsonContext context)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return (null, null);
        }

        ExpectObject(ref reader, context, null);
        string? name = null, version = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                name = NullIfEmpty(ReadString(ref reader, context, "name"));
            }
            else if (reader.ValueTextEquals("version"u8))
            {
                reader.Read();
                version = NullIfEmpty(ReadString(ref reader, context, "version"));
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (name, version);
    }

    private static void ReadSpans(
        ref Utf8JsonReader reader, JsonContext context, IReadOnlyList<SpanAttribute> resource, string? scopeName, string? scopeVersion)
    {
        context.Path.Push("spans");
        if (StartArray(ref reader, context))
        {
            for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
            {
                context.Path.Index(i);
                ReadSpan(ref reader, context, i, resource, scopeName, scopeVersion);
            }
        }

        context.Path.Pop();
    }

    private static void ReadSpan(
        ref Utf8JsonReader reader, JsonContext context, int index, IReadOnlyList<SpanAttribute> resource, string? scopeName, string? scopeVersion)
    {
        ExpectObject(ref reader, context, null);
        string? traceId = null, spanId = null, parentSpanId = null, problem = null, statusMessage = null;
        var name = "";
        int kind = 0, droppedAttributes = 0, droppedEvents = 0;
        long start = 0, end = 0;
        var status = SpanStatus.Unset;
        IReadOnlyList<SpanAttribute> attributes = [];
        IReadOnlyList<SpanEvent> events = [];
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("traceId"u8))
            {
                reader.Read();
                traceId = ReadId(ref reader, context, "traceId", TraceIdBytes, parent: false, ref problem);
            }
            else if (reader.ValueTextEquals("spanId"u8))
            {
                reader.Read();
                spanId = ReadId(ref reader, context, "spanId", SpanIdBytes, parent: false, ref problem);
            }
            else if (reader.ValueTextEquals("parentSpanId"u8))
            {
                reader.Read();
                parentSpanId = ReadId(ref reader, context, "parentSpanId", SpanIdBytes, parent: true, ref problem);
            }
            else if (reader.ValueTextEquals("name"u8))
            {
                reader.Read();
                name = ReadShortString(ref reader, context, "name") ?? "";
            }
            else if (reader.ValueTextEquals("kind"u8))
            {
                reader.Read();
                kind = ReadEnum(ref reader, context, "kind");
            }
            else if (reader.ValueTextEquals("startTimeUnixNano"u8))
            {
                reader.Read();
                start = ReadNanos(ref reader, context, "startTimeUnixNano");
            }
            else if (reader.ValueTextEquals("endTimeUnixNano"u8))
            {
                reader.Read();
                end = ReadNanos(ref reader, context, "endTimeUnixNano");
            }
            else if (reader.ValueTextEquals("attributes"u8))
            {
                reader.Read();
                attributes = ReadKeyValues(ref reader, context, "attributes", 1);
            }
            else if (reader.ValueTextEquals("droppedAttributesCount"u8))
            {
                reader.Read();
                droppedAttributes = ReadCount(ref reader, context, "droppedAttributesCount");
            }
            else if (reader.ValueTextEquals("events"u8))
            {
                reader.Read();
                events = ReadEvents(ref reader, context);
            }
            else if (reader.ValueTextEquals("droppedEventsCount"u8))
            {
                reader.Read();
                droppedEvents = ReadCount(ref reader, context, "droppedEventsCount");
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                (status, statusMessage) = ReadStatus(ref reader, context);
            }
            else
            {
                // traceState, flags, links, droppedLinksCount and fields added after this was written.
                reader.Read();
                reader.Skip();
            }
        }

        problem ??= traceId is null ? "traceId is missing or empty" : spanId is null ? "spanId is missing or empty" : null;
        if (problem is not null)
        {
            context.Rejections.Add(index, scopeName, problem);
            return;
        }

        context.Spans.Add(new RawSpan
        {
            TraceId = traceId!,
            SpanId = spanId!,
            ParentSpanId = parentSpanId,
            Name = name,
            Kind = kind,
            StartUnixNano = start,
            EndUnixNano = end,
            Attributes = attributes,
            Events = events,
            DroppedAttributesCount = droppedAttributes,
            DroppedEventsCount = droppedEvents,
            Status = status,
            StatusMessage = statusMessage,
            Resource = resource,
            ScopeName = scopeName,
            ScopeVersion = scopeVersion,
        });
    }

    /// <summary>
    /// Reads a hex id. A missing or empty id gives null (for a parent: a root span). A wrong one gives null and, if
    /// the span has no problem yet, sets <paramref name="problem"/>: the span is rejected, the request goes on.
    /// </summary>
    private static string? ReadId(ref Utf8JsonReader reader, JsonContext context, string field, int bytes, bool parent, ref string? problem)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.String)
        {
            throw context.Fail(ref reader, field, "expected a string of hex digits");
        }

        var digits = bytes * 2;
        // Escapes such as \u0041 are legal JSON, if odd in an id; an escape is at most six bytes long.
        Span<byte> unescaped = stackalloc byte[6 * MaxIdDigits];
        scoped ReadOnlySpan<byte> hex;
        if (!reader.ValueIsEscaped)
        {
            hex = reader.ValueSpan;
        }
        else if (reader.ValueSpan.Length <= 6 * MaxIdDigits)
        {
            hex = unescaped[..reader.CopyString(unescaped)];
        }
        else
        {
            hex = reader.ValueSpan;
        }

        if (hex.Length == 0)
        {
            return null;
        }

        if (hex.Length != digits)
        {
            // Protobuf's own JSON mapping would send base64 (24 characters for a trace id, 12 for a span id).
            var hint = hex.Length == (bytes + 2) / 3 * 4 ? "; OTLP/JSON ids are hex, not base64" : "";
            problem ??= $"{field} must be {digits} hex digits (got {hex.Length}){hint}";
            return null;
        }

        Span<char> chars = stackalloc char[MaxIdDigits];
        var nonZero = false;
        for (var i = 0; i < hex.Length; i++)
        {
            var c = hex[i];
            if (c is >= (byte)'A' and <= (byte)'F')
            {
                c = (byte)(c | 0x20);
            }
            else if (c is not ((>= (byte)'0' and <= (byte)'9') or (>= (byte)'a' and <= (byte)'f')))
            {
                problem ??= $"{field} must be hex digits only (found '{(char)c}' at {i})";
                return null;
            }

            nonZero |= c != '0';
            chars[i] = (char)c;
        }

        if (!nonZero)
        {
            // OTLP: an all-zero id is invalid. For a parent it is the W3C "no parent", so the span is a root.
            if (parent)
            {
                return null;
            }

            problem ??= $"{field} must not be all zeros";
            return null;
        }

        return new string(chars[..hex.Length]);
    }

    private static string? ReadString(ref Utf8JsonReader reader, JsonContext context, string field) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw context.Fail(ref reader, field, "expected a string"),
    };

    /// <summary>A string that likely repeats across spans (a span or event name): read through the intern cache.</summary>
    private static string? ReadShortString(ref Utf8JsonReader reader, JsonContext context, string field) => reader.TokenType switch
    {
        JsonTokenType.String => context.InternShort(ref reader),
        JsonTokenType.Null => null,
        _ => throw context.Fail(ref reader, field, "expected a string"),
    };

    private static long ReadNanos(ref Utf8JsonReader reader, JsonContext context, string field)
    {
        ulong value;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.Number when reader.TryGetUInt64(out value):
                break;
            case JsonTokenType.String when !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out value, out var used) && used == reader.ValueSpan.Length:
                break;
            default:
                throw context.Fail(ref reader, field, "expected an integer or a string of digits (Unix time in nanoseconds)");
        }

        return Nanos(value);
    }

    private static int ReadCount(ref Utf8JsonReader reader, JsonContext context, string field)
    {
        uint value;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return 0;
            case JsonTokenType.Number when reader.TryGetUInt32(out value):
                break;
            case JsonTokenType.String when !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out value, out var used) && used == reader.ValueSpan.Length:
                break;
            default:
                throw context.Fail(ref reader, field, "expected a non-negative integer");
        }

        return Count(value);
    }

    private static int ReadEnum(ref Utf8JsonReader reader, JsonContext context, string field) => reader.TokenType switch
    {
        JsonTokenType.Null => 0,
        JsonTokenType.Number when reader.TryGetInt32(out var value) => value,
        JsonTokenType.String => throw context.Fail(ref reader, field, "expected an integer: OTLP/JSON sends enum values as numbers, not names"),
        _ => throw context.Fail(ref reader, field, "expected an integer"),
    };

    private static (SpanStatus Status, string? Message) ReadStatus(ref Utf8JsonReader reader, JsonContext context)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return (SpanStatus.Unset, null);
        }

        ExpectObject(ref reader, context, "status");
        var code = 0;
        string? message = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = ReadEnum(ref reader, context, "status.code");
            }
            else if (reader.ValueTextEquals("message"u8))
            {
                reader.Read();
                message = NullIfEmpty(ReadString(ref reader, context, "status.message"));
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return (StatusOf(code), message);
    }

    private static SpanEvent[] ReadEvents(ref Utf8JsonReader reader, JsonContext context)
    {
        context.Path.Push("events");
        if (!StartArray(ref reader, context))
        {
            context.Path.Pop();
            return [];
        }

        var events = context.Events;
        events.Clear();
        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            context.Path.Index(i);
            ExpectObject(ref reader, context, null);
            var name = "";
            long time = 0;
            IReadOnlyList<SpanAttribute> attributes = [];
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("name"u8))
                {
                    reader.Read();
                    name = ReadShortString(ref reader, context, "name") ?? "";
                }
                else if (reader.ValueTextEquals("timeUnixNano"u8))
                {
                    reader.Read();
                    time = ReadNanos(ref reader, context, "timeUnixNano");
                }
                else if (reader.ValueTextEquals("attributes"u8))
                {
                    reader.Read();
                    attributes = ReadKeyValues(ref reader, context, "attributes", 1);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            events.Add(new SpanEvent(name, time, attributes));
        }

        context.Path.Pop();
        return events.Count == 0 ? [] : events.ToArray();
    }
}
