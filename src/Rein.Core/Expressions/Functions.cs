using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Rein.Core.Expressions;

/// <summary>The built-in functions: <c>size</c>, the string methods, conversions and the timestamp and duration
/// accessors. Each takes evaluated arguments (never errors) and returns a value or an error.</summary>
internal static class Functions
{
    public static object? Size(object? value) => value switch
    {
        string s => Values.Box(Values.CodePointCount(s)),
        object?[] array => Values.Box(array.Length),
        IReadOnlyList<object?> list => Values.Box(list.Count),
        IReadOnlyDictionary<string, object?> map => Values.Box(map.Count),
        _ => Values.NoOverload("size", value),
    };

    public static object? Contains(object? target, object? argument) =>
        target is string s && argument is string sub
            ? Values.Box(s.Contains(sub, StringComparison.Ordinal))
            : Values.NoOverload("contains", target, argument);

    public static object? StartsWith(object? target, object? argument) =>
        target is string s && argument is string prefix
            ? Values.Box(s.StartsWith(prefix, StringComparison.Ordinal))
            : Values.NoOverload("startsWith", target, argument);

    public static object? EndsWith(object? target, object? argument) =>
        target is string s && argument is string suffix
            ? Values.Box(s.EndsWith(suffix, StringComparison.Ordinal))
            : Values.NoOverload("endsWith", target, argument);

    public static object? LowerAscii(object? value) =>
        value is string s ? ChangeAsciiCase(s, upper: false) : Values.NoOverload("lowerAscii", value);

    public static object? UpperAscii(object? value) =>
        value is string s ? ChangeAsciiCase(s, upper: true) : Values.NoOverload("upperAscii", value);

    private static string ChangeAsciiCase(string s, bool upper)
    {
        var i = 0;
        while (i < s.Length && !(upper ? char.IsAsciiLetterLower(s[i]) : char.IsAsciiLetterUpper(s[i])))
        {
            i++;
        }

        if (i == s.Length)
        {
            return s;
        }

        return string.Create(s.Length, (s, upper), static (span, state) =>
        {
            for (var k = 0; k < span.Length; k++)
            {
                var c = state.s[k];
                span[k] = state.upper
                    ? char.IsAsciiLetterLower(c) ? (char)(c - 32) : c
                    : char.IsAsciiLetterUpper(c) ? (char)(c + 32) : c;
            }
        });
    }

    public static object? ToInt(object? value)
    {
        switch (value)
        {
            case long:
                return value;
            case double d:
                // CEL: truncates toward zero; out of the int range (or NaN) is an error.
                return double.IsNaN(d) || d < -9223372036854775808.0 || d >= 9223372036854775808.0
                    ? Values.Error($"double {Values.FormatDouble(d)} out of int range")
                    : Values.Box((long)d);
            case string s:
                return long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed)
                    ? Values.Box(parsed)
                    : Values.Error($"cannot convert '{Shorten(s)}' to int");
            case DateTimeOffset t:
                return Values.Box(t.ToUnixTimeSeconds());
            default:
                return Values.NoOverload("int", value);
        }
    }

    public static object? ToDouble(object? value)
    {
        switch (value)
        {
            case double:
                return value;
            case long l:
                return (double)l;
            case string s:
                return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed)
                    ? parsed
                    : Values.Error($"cannot convert '{Shorten(s)}' to double");
            default:
                return Values.NoOverload("double", value);
        }
    }

    public static object? ToStringValue(object? value) => value switch
    {
        string => value,
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Values.FormatDouble(d),
        bool b => b ? "true" : "false",
        DateTimeOffset t => Time.FormatTimestamp(t),
        TimeSpan span => Time.FormatDuration(span),
        _ => Values.NoOverload("string", value),
    };

    public static object? ToBool(object? value) => value switch
    {
        bool => value,
        string s => s switch
        {
            "true" or "True" or "TRUE" or "t" or "1" => Values.True,
            "false" or "False" or "FALSE" or "f" or "0" => Values.False,
            _ => Values.Error($"cannot convert '{Shorten(s)}' to bool"),
        },
        _ => Values.NoOverload("bool", value),
    };

    public static object? ToTimestamp(object? value) => value switch
    {
        DateTimeOffset => value,
        string s => Time.TryParseTimestamp(s, out var t) ? t : Values.Error($"cannot parse '{Shorten(s)}' as an RFC 3339 timestamp"),
        long seconds => seconds is >= -62135596800 and <= 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : Values.Error("timestamp out of range"),
        _ => Values.NoOverload("timestamp", value),
    };

    public static object? ToDuration(object? value) => value switch
    {
        TimeSpan => value,
        string s => Time.TryParseDuration(s, out var d) ? d : Values.Error($"cannot parse '{Shorten(s)}' as a duration such as \"1h30m\" or \"90s\""),
        _ => Values.NoOverload("duration", value),
    };

    public static object? Dyn(object? value) => value;

    private static string Shorten(string s) => s.Length <= 64 ? s : s[..64] + "...";
}

/// <summary>Regular expressions for <c>matches</c>: RE2-like syntax run by .NET's non-backtracking engine (linear
/// time in the input), with a timeout; compiled patterns are shared.</summary>
internal static class Patterns
{
    private const int MaxCached = 1024;
    private static readonly ConcurrentDictionary<(string Pattern, TimeSpan Timeout), Regex> Cache = new();

    /// <summary>Null and an error message when the pattern does not compile.</summary>
    public static Regex? TryCompile(string pattern, TimeSpan timeout, out string? error)
    {
        error = null;
        if (Cache.TryGetValue((pattern, timeout), out var cached))
        {
            return cached;
        }

        Regex regex;
        try
        {
            regex = new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, timeout);
        }
        catch (ArgumentException e)
        {
            error = $"invalid regular expression: {e.Message}";
            return null;
        }
        catch (NotSupportedException e)
        {
            error = $"regular expression not supported (no backreferences or lookaround): {e.Message}";
            return null;
        }

        try
        {
            // The first match of a non-backtracking regex builds its first automaton states and compiles the engine's
            // code; doing that here keeps it out of the first evaluation's RegexTimeout.
            regex.IsMatch(string.Empty);
        }
        catch (RegexMatchTimeoutException)
        {
        }

        if (Cache.Count < MaxCached)
        {
            Cache.TryAdd((pattern, timeout), regex);
        }

        return regex;
    }

    public static object? Match(Regex regex, object? target, TimeSpan timeout)
    {
        if (target is not string text)
        {
            return Values.NoOverload("matches", target, regex.ToString());
        }

        try
        {
            return Values.Box(regex.IsMatch(text));
        }
        catch (RegexMatchTimeoutException)
        {
            return Values.Error($"regular expression took longer than {timeout.TotalMilliseconds} ms (RegexTimeout)");
        }
    }
}

/// <summary><c>s.matches('constant')</c>: the pattern was compiled when the expression was.</summary>
internal sealed class MatchesConstantNode(EvalNode target, Regex regex, TimeSpan timeout) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var value = target.Eval(ref frame);
        return value is ExpressionError ? value : Patterns.Match(regex, value, timeout);
    }
}

/// <summary><c>s.matches(pattern)</c> with a pattern computed at run time.</summary>
internal sealed class MatchesNode(EvalNode target, EvalNode pattern, int maxLength, TimeSpan timeout) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var value = target.Eval(ref frame);
        if (value is ExpressionError)
        {
            return value;
        }

        var p = pattern.Eval(ref frame);
        if (p is ExpressionError)
        {
            return p;
        }

        if (p is not string text || value is not string)
        {
            return Values.NoOverload("matches", value, p);
        }

        if (text.Length > maxLength)
        {
            return Values.Error($"regular expression longer than {maxLength} characters");
        }

        var regex = Patterns.TryCompile(text, timeout, out var error);
        return regex is null ? Values.Error(error!) : Patterns.Match(regex, value, timeout);
    }
}
