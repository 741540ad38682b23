using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Rein.Core.Traces;

public sealed partial class Redactor
{
    /// <summary>Nesting read at most by <see cref="RedactJson"/>; deeper JSON is redacted as text.</summary>
    public const int MaxJsonDepth = 64;

    /// <summary>
    /// JSON with every member name and string value redacted, a value by its member's name too
    /// (<see cref="RedactValue"/>), so escapes (<c>\u0041</c>) and structure hide nothing. Text that is not JSON is
    /// redacted as text. Returns the same instance when nothing was found.
    /// </summary>
    public string RedactJson(string json, ref int count)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxJsonDepth });
        }
        catch (JsonException)
        {
            return Redact(json, ref count);
        }

        using (document)
        {
            var found = 0;
            var buffer = new ArrayBufferWriter<byte>(json.Length + 64);
            using (var writer = new Utf8JsonWriter(buffer))
            {
                WriteRedacted(writer, document.RootElement, ref found);
            }

            if (found == 0)
            {
                return json;
            }

            count += found;
            return Encoding.UTF8.GetString(buffer.WrittenSpan);
        }
    }

    /// <summary>Writes <paramref name="value"/> with every member name and string redacted, values by their member's
    /// name too.</summary>
    public void WriteRedacted(Utf8JsonWriter writer, JsonElement value, ref int count) => WriteRedacted(writer, value, null, ref count);

    private void WriteRedacted(Utf8JsonWriter writer, JsonElement value, string? name, ref int count)
    {
        ArgumentNullException.ThrowIfNull(writer);
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    writer.WritePropertyName(Redact(property.Name, ref count));
                    WriteRedacted(writer, property.Value, property.Name, ref count);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteRedacted(writer, item, name, ref count);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                var text = value.GetString()!;
                writer.WriteStringValue(name is null ? Redact(text, ref count) : RedactValue(name, text, ref count));
                break;
            case JsonValueKind.Number when name is not null && SecretFieldKind(name) is { } kind && IsSecretValue(name, value.GetRawText(), kind, strict: false):
                count++;
                writer.WriteStringValue("[REDACTED:" + kind + "]");
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}
