using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Rein.Core.Policies;

/// <summary>
/// The identity of a tool call's arguments: SHA-256 of their canonical JSON (object keys sorted by ordinal, no
/// whitespace, numbers as written). Two calls with the same arguments in any key order hash the same, which is what
/// loop detection and approvals bound to exact arguments need.
/// </summary>
public static class ArgumentsHash
{
    /// <summary>Nesting deeper than this is refused by the gate's JSON reader before it gets here.</summary>
    private const int MaxDepth = 64;

    /// <summary><c>sha256:</c> and 64 hex characters; arguments that are absent hash as JSON <c>null</c>.</summary>
    public static string Compute(JsonElement? arguments)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false, SkipValidation = true }))
        {
            if (arguments is { ValueKind: not JsonValueKind.Undefined } value)
            {
                WriteCanonical(writer, value, 0);
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer.WrittenSpan, hash);
        return "sha256:" + Convert.ToHexStringLower(hash);
    }

    private static void WriteCanonical(Utf8JsonWriter writer, JsonElement value, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new ArgumentException($"arguments nest deeper than {MaxDepth} levels", nameof(value));
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var properties = new List<JsonProperty>();
                foreach (var property in value.EnumerateObject())
                {
                    properties.Add(property);
                }

                properties.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
                writer.WriteStartObject();
                foreach (var property in properties)
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(writer, property.Value, depth + 1);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteCanonical(writer, item, depth + 1);
                }

                writer.WriteEndArray();
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}
