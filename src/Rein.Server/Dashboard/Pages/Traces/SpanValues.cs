using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rein.Core.Traces;

namespace Rein.Server.Dashboard.Pages.Traces;

/// <summary>
/// Attribute values as text for people: scalars as they are, arrays and key-value lists as indented JSON, and strings
/// that hold JSON (tool arguments, message lists) indented too. Razor encodes the result; nothing here is markup.
/// </summary>
public static class SpanValues
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The text of a value and whether it spans lines (and so wants a preformatted block).</summary>
    public static (string Text, bool Block) Show(object? value)
    {
        switch (value)
        {
            case null:
                return ("null", false);
            case string s:
                var json = TryIndentJson(s);
                return json is null ? (s, s.Contains('\n', StringComparison.Ordinal)) : (json, true);
            case bool b:
                return (b ? "true" : "false", false);
            case long l:
                return (l.ToString(CultureInfo.InvariantCulture), false);
            case double d:
                return (d.ToString("R", CultureInfo.InvariantCulture), false);
            case byte[] bytes:
                return ("base64:" + Convert.ToBase64String(bytes), false);
            default:
                using (var buffer = new MemoryStream())
                {
                    using (var writer = new Utf8JsonWriter(buffer, Indented))
                    {
                        AttributeValueJson.Write(writer, value);
                    }

                    return (Encoding.UTF8.GetString(buffer.ToArray()), true);
                }
        }
    }

    /// <summary>The same text, for places that have room for one line only.</summary>
    public static string Text(object? value) => Show(value).Text;

    /// <summary>Indented JSON when the string is a JSON object or array, else null. Plain strings are left alone.</summary>
    public static string? TryIndentJson(string? text)
    {
        if (text is null || text.Length < 2)
        {
            return null;
        }

        var trimmed = text.AsSpan().Trim();
        if (trimmed.Length < 2 || !((trimmed[0] == '{' && trimmed[^1] == '}') || (trimmed[0] == '[' && trimmed[^1] == ']')))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer, Indented))
            {
                document.WriteTo(writer);
            }

            return Encoding.UTF8.GetString(buffer.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }
    }

}
