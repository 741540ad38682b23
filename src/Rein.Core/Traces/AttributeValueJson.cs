using System.Globalization;
using System.Text.Json;

namespace Rein.Core.Traces;

/// <summary>
/// An attribute value as plain JSON: strings, numbers and booleans as themselves, a key-value list as an object, an
/// array as an array, bytes as a base64 string. JSON has no NaN or infinity, so those are written as strings rather
/// than failing the whole document. The one writer behind storage, the API and the explorer.
/// </summary>
public static class AttributeValueJson
{
    public static void Write(Utf8JsonWriter writer, object? value)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value)
        {
            case null:
                writer.WriteNullValue();
                break;
            case string s:
                writer.WriteStringValue(s);
                break;
            case bool b:
                writer.WriteBooleanValue(b);
                break;
            case long l:
                writer.WriteNumberValue(l);
                break;
            case double d when double.IsFinite(d):
                writer.WriteNumberValue(d);
                break;
            case byte[] bytes:
                writer.WriteBase64StringValue(bytes);
                break;
            // A key-value list is also a list of objects (lists are covariant), so it is matched first.
            case IReadOnlyList<SpanAttribute> pairs:
                WriteObject(writer, pairs);
                break;
            case IReadOnlyList<object?> items:
                writer.WriteStartArray();
                foreach (var item in items)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>Attributes as one JSON object, in their order.</summary>
    public static void WriteObject(Utf8JsonWriter writer, IReadOnlyList<SpanAttribute> attributes)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(attributes);
        writer.WriteStartObject();
        for (var i = 0; i < attributes.Count; i++)
        {
            writer.WritePropertyName(attributes[i].Key);
            Write(writer, attributes[i].Value);
        }

        writer.WriteEndObject();
    }
}
