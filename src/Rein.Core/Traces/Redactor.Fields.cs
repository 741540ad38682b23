using System.Buffers;

namespace Rein.Core.Traces;

public sealed partial class Redactor
{
    // Longest field name looked at, and most characters of a value taken, per "=" or ":".
    private const int MaxFieldName = 64;
    private const int MaxFieldValue = 512;

    private static readonly SearchValues<char> FieldSeparators = SearchValues.Create("=:");

    private static readonly SearchValues<char> ValueEnds = SearchValues.Create(" \t\r\n\f\v&;,\"'<>)]}\\");

    // Values that stand for a secret without being one: configuration placeholders, schema words, masks.
    private static readonly HashSet<string> PlaceholderValues = new(StringComparer.OrdinalIgnoreCase)
    {
        "null", "none", "nil", "undefined", "true", "false", "yes", "no", "empty", "redacted", "hidden", "masked", "string",
        "required", "optional", "secret", "password", "passwd", "token", "changeme", "example", "your_password", "yourpassword",
        "your-password", "your_token", "your-token", "your_api_key", "your-api-key", "your_secret", "n/a",
    };

    /// <summary>
    /// A field's value with secrets replaced: what <see cref="Redact(string, ref int)"/> finds in it, or, when the field's
    /// name says it holds a secret (<c>password</c>, <c>passwd</c>, <c>pwd</c>, <c>secret</c>, <c>client_secret</c>,
    /// <c>token</c>, <c>access_token</c>, <c>api_key</c>, <c>authorization</c>… in any case and with any separators,
    /// as a suffix too: <c>DB_PASSWORD</c>), the whole value unless it is a placeholder (<c>null</c>,
    /// <c>${VAR}</c>, <c>&lt;your token&gt;</c>, <c>****</c>). For JSON members, span attributes and form fields.
    /// </summary>
    public string RedactValue(string name, string value, ref int count)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        var redacted = Redact(value, ref count);
        if (!ReferenceEquals(redacted, value) || SecretFieldKind(name) is not { } kind || !IsSecretValue(name, value.AsSpan().Trim(), kind, strict: false))
        {
            return redacted;
        }

        count++;
        return "[REDACTED:" + kind + "]";
    }

    /// <summary>The kind a field of this name is redacted as, or null when its name says nothing.</summary>
    internal static string? SecretFieldKind(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > MaxFieldName)
        {
            return null;
        }

        Span<char> folded = stackalloc char[MaxFieldName];
        var length = 0;
        foreach (var c in name)
        {
            if (char.IsAsciiLetterOrDigit(c))
            {
                folded[length++] = char.ToLowerInvariant(c);
            }
            else if (c is not ('_' or '-' or '.' or ' '))
            {
                return null;
            }
        }

        var key = folded[..length];
        if (key.EndsWith("password") || key.EndsWith("passwd") || key.EndsWith("passphrase") || key.EndsWith("pwd") || key.SequenceEqual("pass"))
        {
            return "password";
        }

        if (key.EndsWith("secret") || key.EndsWith("secretkey") || key.EndsWith("privatekey"))
        {
            return "secret";
        }

        if (key.EndsWith("apikey") || key.EndsWith("accesskey") || key.EndsWith("subscriptionkey"))
        {
            return "api_key";
        }

        if (key.EndsWith("token") || key.EndsWith("authorization"))
        {
            return "token";
        }

        return null;
    }

    // name=value, "name": "value", name: value and query parameters (?token=…&), for the names SecretFieldKind knows.
    private static void FindFields(ReadOnlySpan<char> s, int priority, ref List<Hit>? hits)
    {
        var from = 0;
        while (from < s.Length)
        {
            var at = s[from..].IndexOfAny(FieldSeparators);
            if (at < 0)
            {
                return;
            }

            var p = from + at;
            from = p + 1;
            if (FieldValueAt(s, p) is { } hit)
            {
                (hits ??= []).Add(hit with { Priority = priority });
                from = Math.Max(from, hit.Start + hit.Length);
            }
        }
    }

    private static Hit? FieldValueAt(ReadOnlySpan<char> s, int p)
    {
        // The name, read backwards from the separator: optional spaces, an optional closing quote, then name characters.
        var q = p - 1;
        var spaces = 0;
        while (q >= 0 && s[q] is ' ' or '\t' && spaces < 4)
        {
            q--;
            spaces++;
        }

        var quote = '\0';
        if (q >= 0 && s[q] is '"' or '\'')
        {
            quote = s[q];
            q--;
        }

        var nameEnd = q + 1;
        while (q >= 0 && nameEnd - q <= MaxFieldName + 1 && IsNameChar(s[q]))
        {
            q--;
        }

        var nameStart = q + 1;
        if (nameStart == nameEnd || (q >= 0 && IsNameChar(s[q])))
        {
            return null;
        }

        if (quote != '\0' && (q < 0 || s[q] != quote) && !(q >= 1 && s[q] == '\\' && s[q - 1] == quote))
        {
            return null;
        }

        var name = s[nameStart..nameEnd];
        if (SecretFieldKind(name) is not { } kind)
        {
            return null;
        }

        // The value: after "=", "=>" or ":", optional spaces and an optional (JSON-escaped) quote.
        var v = p + 1;
        if (s[p] == '=' && v < s.Length && s[v] == '>')
        {
            v++;
        }

        if (v < s.Length && s[v] == '=')
        {
            return null; // "token == x" compares, it does not assign
        }

        while (v < s.Length && s[v] is ' ' or '\t' && v - p <= 5)
        {
            v++;
        }

        var valueQuote = '\0';
        var escaped = false;
        if (v < s.Length && s[v] is '"' or '\'')
        {
            valueQuote = s[v++];
        }
        else if (v + 1 < s.Length && s[v] == '\\' && s[v + 1] == '"')
        {
            valueQuote = '"';
            escaped = true;
            v += 2;
        }

        var start = v;
        var limit = Math.Min(s.Length, start + MaxFieldValue);
        int end;
        if (valueQuote != '\0')
        {
            end = start;
            while (end < limit && s[end] != valueQuote && s[end] is not ('\n' or '\r'))
            {
                end += s[end] == '\\' && !escaped && end + 1 < limit ? 2 : 1;
            }

            if (escaped && end > start && s[end - 1] == '\\')
            {
                end--;
            }

            end = Math.Min(end, limit);
        }
        else
        {
            var stop = s[start..limit].IndexOfAny(ValueEnds);
            end = stop < 0 ? limit : start + stop;
        }

        var value = s[start..end];
        // Without quotes around the name, "name: value" is how prose reads too ("Password: required"); only a value
        // that looks generated counts then.
        var strict = s[p] == ':' && quote == '\0';
        return IsSecretValue(name, value, kind, strict) ? new Hit(start, end - start, kind, 0) : null;
    }

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';

    private static bool IsSecretValue(ReadOnlySpan<char> name, ReadOnlySpan<char> value, string kind, bool strict)
    {
        var minimum = kind == "password" ? 4 : 8;
        if (value.Length < minimum || value[0] is '$' or '<' or '{' or '[' or '%' or '*' || value.IndexOfAnyExcept(value[0]) < 0)
        {
            return false;
        }

        if (PlaceholderValues.GetAlternateLookup<ReadOnlySpan<char>>().Contains(value) || value.Equals(name, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Code, not a value: a call, or a dotted reference (config.password, process.env.TOKEN, self.api_key).
        if (value.Contains('(') || IsDottedReference(value))
        {
            return false;
        }

        // PWD is the shell's working directory as often as a password.
        if (value[0] is '/' or '~' && name.EndsWith("pwd", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (strict || kind != "password")
        {
            // Tokens, keys and secrets are generated: no spaces, and some digits or symbols among the letters.
            var scheme = name.EndsWith("authorization", StringComparison.OrdinalIgnoreCase); // "Basic dXNl…"
            if ((value.ContainsAny(' ', '\t') && !scheme) || (strict && (value.IndexOfAnyInRange('0', '9') < 0 || !value.ContainsAnyInRange('A', 'z'))))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsDottedReference(ReadOnlySpan<char> value)
    {
        var dots = 0;
        var segmentStart = true;
        foreach (var c in value)
        {
            if (c == '.')
            {
                if (segmentStart)
                {
                    return false;
                }

                dots++;
                segmentStart = true;
            }
            else if (segmentStart ? char.IsAsciiLetter(c) || c == '_' : char.IsAsciiLetterOrDigit(c) || c == '_')
            {
                segmentStart = false;
            }
            else
            {
                return false;
            }
        }

        return dots > 0 && !segmentStart;
    }
}
