using System.Buffers.Text;
using System.Text.Json;
using Rein.Core.Traces;

namespace Rein.Server.Traces.Otlp;

// OTLP/JSON attribute values (AnyValue and key-value lists) and the scalar readers the structure shares.
internal static partial class OtlpDecoder
{
    /// <summary>A JSON array of <c>{"key": ..., "value": AnyValue}</c>; <paramref name="depth"/> counts value nesting.</summary>
    private static SpanAttribute[] ReadKeyValues(ref Utf8JsonReader reader, JsonContext context, string field, int depth)
    {
        context.Path.Push(field);
        if (!StartArray(ref reader, context))
        {
            context.Path.Pop();
            return [];
        }

        // One scratch list per nesting level: a key-value list inside a value is read while the outer one is open.
        var scratch = context.AttributeScratch(depth);
        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            context.Path.Index(i);
            ExpectObject(ref reader, context, null);
            var key = "";
            object? value = null;
            while (NextProperty(ref reader))
            {
                if (reader.ValueTextEquals("key"u8))
                {
                    reader.Read();
                    key = reader.TokenType switch
                    {
                        JsonTokenType.String => context.Intern(ref reader),
                        JsonTokenType.Null => "",
                        _ => throw context.Fail(ref reader, "key", "expected a string"),
                    };
                }
                else if (reader.ValueTextEquals("value"u8))
                {
                    reader.Read();
                    context.Path.Push("value");
                    value = ReadAnyValue(ref reader, context, depth);
                    context.Path.Pop();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            scratch.Add(new SpanAttribute(key, value));
        }

        context.Path.Pop();
        if (scratch.Count == 0)
        {
            return [];
        }

        var attributes = scratch.ToArray();
        scratch.Clear();
        return attributes;
    }

    private static object? ReadAnyValue(ref Utf8JsonReader reader, JsonContext context, int depth)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        ExpectObject(ref reader, context, null);
        if (depth > MaxValueDepth)
        {
            throw context.Fail(ref reader, null, NestedTooDeeply);
        }

        // An AnyValue is a oneof: one member is expected; should several come, the last wins, as in protobuf.
        object? value = null;
        while (NextProperty(ref reader))
        {
            if (reader.ValueTextEquals("stringValue"u8))
            {
                reader.Read();
                value = reader.TokenType switch
                {
                    JsonTokenType.String => context.InternShort(ref reader),
                    JsonTokenType.Null => null,
                    _ => throw context.Fail(ref reader, "stringValue", "expected a string"),
                };
            }
            else if (reader.ValueTextEquals("intValue"u8))
            {
                reader.Read();
                value = reader.TokenType == JsonTokenType.Null ? null : ReadInt64(ref reader, context, "intValue");
            }
            else if (reader.ValueTextEquals("doubleValue"u8))
            {
                reader.Read();
                value = reader.TokenType == JsonTokenType.Null ? null : ReadDouble(ref reader, context, "doubleValue");
            }
            else if (reader.ValueTextEquals("boolValue"u8))
            {
                reader.Read();
                value = reader.TokenType switch
                {
                    JsonTokenType.True => True,
                    JsonTokenType.False => False,
                    JsonTokenType.Null => null,
                    _ => throw context.Fail(ref reader, "boolValue", "expected true or false"),
                };
            }
            else if (reader.ValueTextEquals("bytesValue"u8))
            {
                reader.Read();
                value = ReadBytes(ref reader, context, "bytesValue");
            }
            else if (reader.ValueTextEquals("arrayValue"u8))
            {
                reader.Read();
                context.Path.Push("arrayValue");
                value = ReadValues(ref reader, context, depth, kvlist: false);
                context.Path.Pop();
            }
            else if (reader.ValueTextEquals("kvlistValue"u8))
            {
                reader.Read();
                context.Path.Push("kvlistValue");
                value = ReadValues(ref reader, context, depth, kvlist: true);
                context.Path.Pop();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return value;
    }

    /// <summary>The <c>{"values": [...]}</c> wrapper of an ArrayValue or a KeyValueList.</summary>
    private static object? ReadValues(ref Utf8JsonReader reader, JsonContext context, int depth, bool kvlist)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        ExpectObject(ref reader, context, null);
        object? result = kvlist ? Array.Empty<SpanAttribute>() : Array.Empty<object?>();
        while (NextProperty(ref reader))
        {
            if (!reader.ValueTextEquals("values"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            if (kvlist)
            {
                result = ReadKeyValues(ref reader, context, "values", depth + 1);
                continue;
            }

            context.Path.Push("values");
            if (StartArray(ref reader, context))
            {
                var scratch = context.ValueScratch(depth + 1);
                for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
                {
                    context.Path.Index(i);
                    scratch.Add(ReadAnyValue(ref reader, context, depth + 1));
                }

                result = scratch.Count == 0 ? Array.Empty<object?>() : scratch.ToArray();
                scratch.Clear();
            }

            context.Path.Pop();
        }

        return result;
    }

    private static long ReadInt64(ref Utf8JsonReader reader, JsonContext context, string field)
    {
        long value;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetInt64(out value):
                break;
            case JsonTokenType.String when !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out value, out var used) && used == reader.ValueSpan.Length:
                break;
            default:
                throw context.Fail(ref reader, field, "expected a 64-bit integer or a string of digits");
        }

        return value;
    }

    private static double ReadDouble(ref Utf8JsonReader reader, JsonContext context, string field)
    {
        double value;
        switch (reader.TokenType)
        {
            case JsonTokenType.Number when reader.TryGetDouble(out value):
                break;
            // The proto3 mapping writes the values JSON numbers cannot hold as strings.
            case JsonTokenType.String when reader.ValueTextEquals("NaN"u8):
                value = double.NaN;
                break;
            case JsonTokenType.String when reader.ValueTextEquals("Infinity"u8):
                value = double.PositiveInfinity;
                break;
            case JsonTokenType.String when reader.ValueTextEquals("-Infinity"u8):
                value = double.NegativeInfinity;
                break;
            case JsonTokenType.String when !reader.ValueIsEscaped && Utf8Parser.TryParse(reader.ValueSpan, out value, out var used) && used == reader.ValueSpan.Length:
                break;
            default:
                throw context.Fail(ref reader, field, "expected a number, or \"NaN\", \"Infinity\" or \"-Infinity\"");
        }

        return value;
    }

    private static byte[]? ReadBytes(ref Utf8JsonReader reader, JsonContext context, string field)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType == JsonTokenType.String)
        {
            if (reader.TryGetBytesFromBase64(out var bytes))
            {
                return bytes;
            }

            // The proto3 mapping also accepts the URL-safe alphabet, with or without padding.
            var text = reader.GetString()!.Replace('-', '+').Replace('_', '/');
            text = text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '=');
            var decoded = new byte[text.Length / 4 * 3];
            if (Convert.TryFromBase64String(text, decoded, out var written))
            {
                return decoded[..written];
            }
        }

        throw context.Fail(ref reader, field, "expected a base64 string");
    }

    /// <summary>Moves to the next property name; false at the end of the object.</summary>
    private static bool NextProperty(ref Utf8JsonReader reader) =>
        reader.Read() && reader.TokenType == JsonTokenType.PropertyName;

    private static void ExpectObject(ref Utf8JsonReader reader, JsonContext context, string? field)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw context.Fail(ref reader, field, $"expected an object, found {Describe(reader.TokenType)}");
        }
    }

    /// <summary>True at the start of an array; false for null (the proto3 mapping's empty list).</summary>
    private static bool StartArray(ref Utf8JsonReader reader, JsonContext context) => reader.TokenType switch
    {
        JsonTokenType.StartArray => true,
        JsonTokenType.Null => false,
        _ => throw context.Fail(ref reader, null, $"expected an array, found {Describe(reader.TokenType)}"),
    };

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };
}
