using System.Buffers;
using System.Text.Json;
using Rein.Core.Traces;

namespace Rein.Server.Traces;

/// <summary>
/// Attributes and events as stored: a JSON object of key to plain JSON value (bytes as base64), and a JSON array of
/// events. Whole numbers read back as <see cref="long"/>, others as <see cref="double"/>; a byte value reads back as its
/// base64 text, which is what the explorer shows anyway.
/// </summary>
internal static class SpanJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { SkipValidation = true };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? _threadBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? _threadWriter;

    public static string Attributes(IReadOnlyList<SpanAttribute> attributes) =>
        Write(attributes, static (w, a) => AttributeValueJson.WriteObject(w, a));

    public static string? Events(IReadOnlyList<SpanEvent> events) =>
        events.Count == 0 ? null : Write(events, static (w, e) => WriteEvents(w, e));

    public static IReadOnlyList<SpanAttribute> ReadAttributes(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        reader.Read();
        return ReadObject(ref reader);
    }

    public static IReadOnlyList<SpanEvent> ReadEvents(string? json)
    {
        if (string.IsNullOrEmpty(json))
        {
            return [];
        }

        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        reader.Read();
        var events = new List<SpanEvent>();
        while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
        {
            string name = "";
            long time = 0;
            IReadOnlyList<SpanAttribute> attributes = [];
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = reader.GetString();
                reader.Read();
                switch (property)
                {
                    case "name":
                        name = reader.GetString() ?? "";
                        break;
                    case "time":
                        time = reader.GetInt64();
                        break;
                    case "attributes":
                        attributes = ReadObject(ref reader);
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            events.Add(new SpanEvent(name, time, attributes));
        }

        return events;
    }

    private static string Write<T>(T value, Action<Utf8JsonWriter, T> write)
    {
        var buffer = _threadBuffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = _threadWriter ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        write(writer, value);
        writer.Flush();
        var text = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
        if (buffer.Capacity > 1024 * 1024)
        {
            // One huge span must not pin a megabyte buffer to this thread forever.
            _threadBuffer = null;
            _threadWriter = null;
        }

        return text;
    }

    private static void WriteEvents(Utf8JsonWriter writer, IReadOnlyList<SpanEvent> events)
    {
        writer.WriteStartArray();
        foreach (var e in events)
        {
            writer.WriteStartObject();
            writer.WriteString("name", e.Name);
            writer.WriteNumber("time", e.TimeUnixNano);
            writer.WritePropertyName("attributes");
            AttributeValueJson.WriteObject(writer, e.Attributes);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static List<SpanAttribute> ReadObject(ref Utf8JsonReader reader)
    {
        var result = new List<SpanAttribute>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            result.Add(new SpanAttribute(key, ReadValue(ref reader)));
        }

        return result;
    }

    private static object? ReadValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            case JsonTokenType.Number:
                return reader.TryGetInt64(out var l) ? l : reader.GetDouble();
            case JsonTokenType.StartObject:
                return ReadObject(ref reader);
            case JsonTokenType.StartArray:
                var items = new List<object?>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader));
                }

                return items;
            default:
                return null;
        }
    }
}
