using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Rein.Core.Expressions;

/// <summary>Expression values: boxing caches, type names, CEL equality and ordering, printing and JSON.</summary>
internal static class Values
{
    public static readonly object True = true;
    public static readonly object False = false;

    private const int SmallMin = -128;
    private const int SmallMax = 1024;
    private static readonly object[] SmallInts = CreateSmallInts();

    private static object[] CreateSmallInts()
    {
        var boxes = new object[SmallMax - SmallMin + 1];
        for (var i = 0; i < boxes.Length; i++)
        {
            boxes[i] = (long)(i + SmallMin);
        }

        return boxes;
    }

    public static object Box(bool value) => value ? True : False;

    public static object Box(long value) =>
        value is >= SmallMin and <= SmallMax ? SmallInts[value - SmallMin] : value;

    public static ExpressionError Error(string message) => new(message);

    public static string TypeName(object? value) => value switch
    {
        null => "null_type",
        bool => "bool",
        long => "int",
        double => "double",
        string => "string",
        DateTimeOffset => "timestamp",
        TimeSpan => "duration",
        IReadOnlyList<object?> => "list",
        IReadOnlyDictionary<string, object?> => "map",
        IExpressionObject => "object",
        ExpressionError => "error",
        _ => value.GetType().Name,
    };

    public static ExpressionError NoOverload(string function, object? argument) =>
        new($"no such overload: {function} ({TypeName(argument)})");

    public static ExpressionError NoOverload(string function, object? left, object? right) =>
        new($"no such overload: {function} ({TypeName(left)}, {TypeName(right)})");

    /// <summary>Brings values of .NET types a caller may pass (int, float, decimal, DateTime, JsonElement) to the
    /// expression types; the common types return at once.</summary>
    public static object? Normalize(object? value)
    {
        // The types to convert are all value types; maps, lists and objects return after one check.
        if (value is null or string or long or bool or double || !value.GetType().IsValueType)
        {
            return value;
        }

        return NormalizeRare(value);
    }

    private static object? NormalizeRare(object value) => value switch
    {
        int i => Box(i),
        short s => Box(s),
        byte b => Box(b),
        sbyte sb => Box(sb),
        ushort us => Box(us),
        uint ui => Box(ui),
        ulong ul when ul <= long.MaxValue => Box((long)ul),
        float f => (double)f,
        decimal d => (double)d,
        DateTime dt => new DateTimeOffset(dt.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dt, DateTimeKind.Utc) : dt),
        JsonElement json => FromJson(json),
        _ => value,
    };

    /// <summary>CEL equality: values of different types are unequal, except int and double, which compare
    /// numerically.</summary>
    public static bool Equal(object? left, object? right)
    {
        switch (left)
        {
            case null:
                return right is null;
            case string ls:
                return right is string rs && string.Equals(ls, rs, StringComparison.Ordinal);
            case long ll:
                return right switch
                {
                    long rl => ll == rl,
                    double rd => CompareNumbers(ll, rd) == 0,
                    _ => false,
                };
            case double ld:
                return right switch
                {
                    double rd => ld == rd,
                    long rl => CompareNumbers(rl, ld) == 0,
                    _ => false,
                };
            case bool lb:
                return right is bool rb && lb == rb;
            case DateTimeOffset lt:
                return right is DateTimeOffset rt && lt.UtcTicks == rt.UtcTicks;
            case TimeSpan lspan:
                return right is TimeSpan rspan && lspan == rspan;
            case IReadOnlyList<object?> llist:
                return right is IReadOnlyList<object?> rlist && ListsEqual(llist, rlist);
            case IReadOnlyDictionary<string, object?> lmap:
                return right is IReadOnlyDictionary<string, object?> rmap && MapsEqual(lmap, rmap);
            default:
                return ReferenceEquals(left, right) || left.Equals(right);
        }
    }

    private static bool ListsEqual(IReadOnlyList<object?> left, IReadOnlyList<object?> right)
    {
        if (ReferenceEquals(left, right))
        {
            return true;
        }

        // Lists nested deeper than the stack allows are unequal unless they are the same list, rather than overflow it.
        if (left.Count != right.Count || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            return false;
        }

        for (var i = 0; i < left.Count; i++)
        {
            if (!Equal(Normalize(left[i]), Normalize(right[i])))
            {
                return false;
            }
        }

        return true;
    }

    private static bool MapsEqual(IReadOnlyDictionary<string, object?> left, IReadOnlyDictionary<string, object?> right)
    {
        if (ReferenceEquals(left, right))
        {
            return true;
        }

        if (left.Count != right.Count || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            return false;
        }

        foreach (var (key, value) in left)
        {
            if (!right.TryGetValue(key, out var other) || !Equal(Normalize(value), Normalize(other)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>CEL ordering for int and double (mixed allowed), string (by code point), bool, timestamp and
    /// duration. False when the pair has no ordering. NaN compares as unordered: every comparison with it is
    /// false.</summary>
    public static bool TryCompare(object? left, object? right, out int comparison)
    {
        comparison = 0;
        switch (left)
        {
            case long ll when right is long rl:
                comparison = ll.CompareTo(rl);
                return true;
            case long ll when right is double rd:
                comparison = double.IsNaN(rd) ? int.MinValue : CompareNumbers(ll, rd);
                return true;
            case double ld when right is double rd:
                comparison = double.IsNaN(ld) || double.IsNaN(rd) ? int.MinValue : ld.CompareTo(rd);
                return true;
            case double ld when right is long rl:
                comparison = double.IsNaN(ld) ? int.MinValue : -CompareNumbers(rl, ld);
                return true;
            case string ls when right is string rs:
                comparison = CompareCodePoints(ls, rs);
                return true;
            case bool lb when right is bool rb:
                comparison = lb.CompareTo(rb);
                return true;
            case DateTimeOffset lt when right is DateTimeOffset rt:
                comparison = lt.UtcTicks.CompareTo(rt.UtcTicks);
                return true;
            case TimeSpan lspan when right is TimeSpan rspan:
                comparison = lspan.CompareTo(rspan);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Compares an int with a double exactly (a long does not always fit a double).</summary>
    private static int CompareNumbers(long left, double right)
    {
        if (double.IsNaN(right))
        {
            return int.MinValue;
        }

        if (right >= 9223372036854775808.0)
        {
            return -1;
        }

        if (right < -9223372036854775808.0)
        {
            return 1;
        }

        var truncated = (long)right;
        if (left != truncated)
        {
            return left.CompareTo(truncated);
        }

        var fraction = right - truncated;
        return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
    }

    private static int CompareCodePoints(string left, string right)
    {
        // UTF-16 ordinal order differs from code-point order only when a surrogate meets a character above U+D7FF.
        var length = Math.Min(left.Length, right.Length);
        for (var i = 0; i < length; i++)
        {
            var l = left[i];
            var r = right[i];
            if (l == r)
            {
                continue;
            }

            if (l >= 0xD800 && r >= 0xD800)
            {
                var lSurrogate = char.IsSurrogate(l);
                var rSurrogate = char.IsSurrogate(r);
                if (lSurrogate != rSurrogate)
                {
                    return lSurrogate ? 1 : -1;
                }
            }

            return l < r ? -1 : 1;
        }

        return left.Length.CompareTo(right.Length);
    }

    public static int CodePointCount(string text)
    {
        var count = text.Length;
        for (var i = 0; i + 1 < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]))
            {
                count--;
                i++;
            }
        }

        return count;
    }

    public static object? FromJson(JsonElement json)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        switch (json.ValueKind)
        {
            case JsonValueKind.Object:
                var map = new Dictionary<string, object?>(StringComparer.Ordinal);
                foreach (var property in json.EnumerateObject())
                {
                    map[property.Name] = FromJson(property.Value);
                }

                return map;
            case JsonValueKind.Array:
                var list = new object?[json.GetArrayLength()];
                var i = 0;
                foreach (var item in json.EnumerateArray())
                {
                    list[i++] = FromJson(item);
                }

                return list;
            case JsonValueKind.String:
                return json.GetString();
            case JsonValueKind.Number:
                return json.TryGetInt64(out var integer) ? Box(integer) : json.GetDouble();
            case JsonValueKind.True:
                return True;
            case JsonValueKind.False:
                return False;
            default:
                return null;
        }
    }

    public static string Format(object? value)
    {
        if (value is string text)
        {
            return text;
        }

        var builder = new StringBuilder();
        Append(builder, value, quoteStrings: false, depth: 0);
        return builder.ToString();
    }

    public static string FormatDouble(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static void AppendQuoted(StringBuilder builder, string text)
    {
        builder.Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case < ' ': builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: builder.Append(c); break;
            }
        }

        builder.Append('"');
    }

    private static void Append(StringBuilder builder, object? value, bool quoteStrings, int depth)
    {
        if (depth > 64)
        {
            builder.Append("...");
            return;
        }

        switch (Normalize(value))
        {
            case null:
                builder.Append("null");
                break;
            case string s when quoteStrings:
                AppendQuoted(builder, s);
                break;
            case string s:
                builder.Append(s);
                break;
            case bool b:
                builder.Append(b ? "true" : "false");
                break;
            case long l:
                builder.Append(l.ToString(CultureInfo.InvariantCulture));
                break;
            case double d:
                builder.Append(FormatDouble(d));
                break;
            case DateTimeOffset t:
                builder.Append(Time.FormatTimestamp(t));
                break;
            case TimeSpan span:
                builder.Append(Time.FormatDuration(span));
                break;
            case IReadOnlyList<object?> list:
                builder.Append('[');
                for (var i = 0; i < list.Count; i++)
                {
                    if (i > 0)
                    {
                        builder.Append(", ");
                    }

                    Append(builder, list[i], quoteStrings: true, depth + 1);
                }

                builder.Append(']');
                break;
            case IReadOnlyDictionary<string, object?> map:
                builder.Append('{');
                var first = true;
                foreach (var (key, item) in map)
                {
                    if (!first)
                    {
                        builder.Append(", ");
                    }

                    first = false;
                    Append(builder, key, quoteStrings: true, depth + 1);
                    builder.Append(": ");
                    Append(builder, item, quoteStrings: true, depth + 1);
                }

                builder.Append('}');
                break;
            case ExpressionError error:
                builder.Append("error: ").Append(error.Message);
                break;
            case IExpressionObject:
                builder.Append("<object>");
                break;
            case var other:
                builder.Append(Convert.ToString(other, CultureInfo.InvariantCulture));
                break;
        }
    }
}
