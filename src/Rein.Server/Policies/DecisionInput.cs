using System.Buffers;
using System.Text.Json;
using Rein.Core.Traces;

namespace Rein.Server.Policies;

/// <summary>
/// Writes what the decision log keeps of a request: arguments, context and principal, with every path a matching
/// rule asked to redact replaced by <see cref="Redacted"/> and every string passed through the secret detectors that
/// guard traces. Nothing of the request reaches storage any other way.
/// </summary>
internal static class DecisionInput
{
    public const string Redacted = "[REDACTED]";

    public static string Write(GateCall call, IReadOnlyList<string> redactPaths, Redactor redactor)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            WriteMember(w, "args", call.Args, "args", redactPaths, redactor);
            WriteMember(w, "context", call.Context, "context", redactPaths, redactor);
            w.WritePropertyName("principal");
            w.WriteStartObject();
            if (call.PrincipalId is { } id)
            {
                w.WriteString("id", Clean(id, redactor));
            }

            w.WriteStartArray("roles");
            foreach (var role in call.PrincipalRoles)
            {
                w.WriteStringValue(Clean(role, redactor));
            }

            w.WriteEndArray();
            WriteMember(w, "attributes", call.PrincipalAttributes, "principal.attributes", redactPaths, redactor);
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteMember(Utf8JsonWriter w, string name, JsonElement? value, string path, IReadOnlyList<string> redactPaths, Redactor redactor)
    {
        if (value is not { ValueKind: not JsonValueKind.Undefined } v)
        {
            return;
        }

        w.WritePropertyName(name);
        WriteValue(w, v, null, path, redactPaths, redactor);
    }

    // name is the member holding the value: a string under a secret's name (password, api_key…) is redacted whole.
    private static void WriteValue(Utf8JsonWriter w, JsonElement value, string? name, string path, IReadOnlyList<string> redactPaths, Redactor redactor)
    {
        if (IsRedacted(path, redactPaths))
        {
            w.WriteStringValue(Redacted);
            return;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                w.WriteStartObject();
                foreach (var property in value.EnumerateObject())
                {
                    w.WritePropertyName(Clean(property.Name, redactor));
                    WriteValue(w, property.Value, property.Name, path + "." + property.Name, redactPaths, redactor);
                }

                w.WriteEndObject();
                break;
            case JsonValueKind.Array:
                w.WriteStartArray();
                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    WriteValue(w, item, name, path + "[" + i++ + "]", redactPaths, redactor);
                }

                w.WriteEndArray();
                break;
            case JsonValueKind.String:
                var count = 0;
                w.WriteStringValue(name is null ? Clean(value.GetString()!, redactor) : redactor.RedactValue(name, value.GetString()!, ref count));
                break;
            default:
                value.WriteTo(w);
                break;
        }
    }

    /// <summary>A path is redacted when a rule named it or one of its parents; <c>args.cards[*]</c> style indexes are not
    /// supported, so a rule naming a list redacts the whole list.</summary>
    private static bool IsRedacted(string path, IReadOnlyList<string> redactPaths)
    {
        foreach (var p in redactPaths)
        {
            if (string.Equals(p, path, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static string Clean(string text, Redactor redactor)
    {
        var count = 0;
        return redactor.Redact(text, ref count);
    }
}
