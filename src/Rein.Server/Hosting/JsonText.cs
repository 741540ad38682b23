using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;

namespace Rein.Server;

/// <summary>
/// Finds text in a JSON value that is not Unicode: bytes that are not UTF-8, or a <c>\u</c> escape of a lone UTF-16
/// surrogate such as <c>"\ud800"</c>. The JSON grammar admits the escape (RFC 8259 §8.2 calls what receivers make of
/// it unpredictable) and System.Text.Json reads both without complaint until the text itself is read, so a value the
/// server keeps as JSON (gate arguments and context, MCP messages) is checked here on the way in, where the client can
/// be told which field is at fault, rather than failing later in hashing or storage.
/// </summary>
internal static class JsonText
{
    public const string NotUnicode = "is text that is not valid Unicode (invalid UTF-8, or a lone UTF-16 surrogate such as \\ud800)";

    public const string NameNotUnicode = "has a property name that is not valid Unicode (invalid UTF-8, or a lone UTF-16 surrogate such as \\ud800)";

    /// <summary>Throws a 400 naming the first place in <paramref name="value"/> whose text is not Unicode.</summary>
    /// <param name="field">The request field that holds the value, as the client spelled it.</param>
    /// <param name="value">The value; null and undefined are fine.</param>
    /// <exception cref="ReinProblemException">Some text in the value is not Unicode.</exception>
    public static void Check(string field, JsonElement? value)
    {
        if (value is { } element && Find(element, field) is { } problem)
        {
            throw ReinProblemException.Invalid(problem.Path, problem.Problem);
        }
    }

    /// <summary>The first place whose text is not Unicode, as a path below <paramref name="root"/> (<c>args.items[2].name</c>),
    /// and what is wrong there; null when all text is Unicode.</summary>
    public static (string Path, string Problem)? Find(JsonElement element, string root)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return IsUnicode(JsonMarshal.GetRawUtf8Value(element), () => element.GetString()) ? null : (root, NotUnicode);
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    if (Find(item, $"{root}[{index}]") is { } inItem)
                    {
                        return inItem;
                    }

                    index++;
                }

                return null;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (!IsUnicode(JsonMarshal.GetRawUtf8PropertyName(property), () => property.Name))
                    {
                        return (root, NameNotUnicode);
                    }

                    if (Find(property.Value, root.Length == 0 ? property.Name : $"{root}.{property.Name}") is { } inValue)
                    {
                        return inValue;
                    }
                }

                return null;
            default:
                return null;
        }
    }

    /// <summary>Most text has no escapes and is valid UTF-8, which is checked without decoding it; text with escapes
    /// is decoded, which is where System.Text.Json finds a lone surrogate.</summary>
    private static bool IsUnicode(ReadOnlySpan<byte> raw, Func<string?> decode)
    {
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return Utf8.IsValid(raw);
        }

        try
        {
            decode();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }
}
