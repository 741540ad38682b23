using System.Globalization;
using System.Text;

namespace Rein.Core.Policies;

/// <summary>Scalars of a policy file as numbers, durations and names, and YAML values as expression values.</summary>
internal static class PolicyValues
{
    // Ten years: longer than any run or rate-limit window, and far inside TimeSpan's range.
    private const long MaxDurationMilliseconds = 10L * 366 * 24 * 3_600_000;

    /// <summary>A plain integer scalar (YAML 1.2 core schema, decimal only).</summary>
    public static bool TryInteger(PolicyYaml.Scalar scalar, out long value)
    {
        value = 0;
        return scalar.IsPlain && IsInteger(scalar.Text) &&
            long.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>A plain integer or decimal scalar, such as <c>2.5</c>.</summary>
    public static bool TryDecimal(PolicyYaml.Scalar scalar, out decimal value)
    {
        value = 0;
        return scalar.IsPlain && IsNumber(scalar.Text) &&
            decimal.TryParse(scalar.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// A duration as Go and Prometheus write it: whole numbers with units h, m, s and ms, largest first, such as
    /// <c>15m</c>, <c>1h30m</c>, <c>90s</c> or <c>2h</c>.
    /// </summary>
    public static bool TryDuration(string text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (text.Length is 0 or > 32)
        {
            return false;
        }

        var lastRank = int.MaxValue;
        long milliseconds = 0;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }

            if (i == start || i - start > 9 || i == text.Length)
            {
                return false;
            }

            var number = long.Parse(text.AsSpan(start, i - start), CultureInfo.InvariantCulture);
            (int Rank, long Scale) unit;
            if (text[i] == 'm' && i + 1 < text.Length && text[i + 1] == 's')
            {
                unit = (0, 1);
                i += 2;
            }
            else
            {
                unit = text[i] switch
                {
                    'h' => (3, 3_600_000),
                    'm' => (2, 60_000),
                    's' => (1, 1_000),
                    _ => (-1, 0),
                };
                i++;
            }

            if (unit.Rank < 0 || unit.Rank >= lastRank)
            {
                return false;
            }

            lastRank = unit.Rank;
            milliseconds += number * unit.Scale;
        }

        if (milliseconds > MaxDurationMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }

    /// <summary>Writes a duration the way policies write it: <c>1h30m</c>, <c>90s</c> becomes <c>1m30s</c>.</summary>
    public static string FormatDuration(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return duration == TimeSpan.Zero ? "0s" : "-" + FormatDuration(duration.Negate());
        }

        var text = new StringBuilder();
        var hours = (long)duration.TotalHours;
        Append(hours, "h");
        Append(duration.Minutes, "m");
        Append(duration.Seconds, "s");
        Append(duration.Milliseconds, "ms");
        return text.Length == 0 ? "0s" : text.ToString();

        void Append(long amount, string unit)
        {
            if (amount > 0)
            {
                text.Append(amount.ToString(CultureInfo.InvariantCulture)).Append(unit);
            }
        }
    }

    /// <summary>
    /// A YAML value as an expression value, the way <c>Expression.FromJson</c> converts JSON: integral numbers to
    /// int (long), other numbers to double, mappings to maps with string keys, sequences to lists. Quoted scalars are
    /// strings. Duplicate keys are reported through <paramref name="duplicate"/>.
    /// </summary>
    public static object? ToValue(PolicyYaml.Node node, Action<PolicyYaml.Scalar> duplicate)
    {
        switch (node)
        {
            case PolicyYaml.Scalar scalar:
                return Resolve(scalar);
            case PolicyYaml.Sequence sequence:
                var list = new object?[sequence.Items.Count];
                for (var i = 0; i < list.Length; i++)
                {
                    list[i] = ToValue(sequence.Items[i], duplicate);
                }

                return list;
            case PolicyYaml.Mapping mapping:
                var map = new Dictionary<string, object?>(mapping.Entries.Count, StringComparer.Ordinal);
                foreach (var (key, value) in mapping.Entries)
                {
                    if (!map.TryAdd(key.Text, ToValue(value, duplicate)))
                    {
                        duplicate(key);
                    }
                }

                return map;
            default:
                return null;
        }
    }

    private static object? Resolve(PolicyYaml.Scalar scalar)
    {
        if (!scalar.IsPlain)
        {
            return scalar.Text;
        }

        var text = scalar.Text;
        if (scalar.IsNull)
        {
            return null;
        }

        if (text is "true" or "True" or "TRUE")
        {
            return true;
        }

        if (text is "false" or "False" or "FALSE")
        {
            return false;
        }

        if (IsInteger(text))
        {
            // Beyond the range of int, JSON readers give a double too.
            return long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
                ? integer
                : (object)double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        if (IsNumber(text))
        {
            return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
        }

        return text switch
        {
            ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF" => double.PositiveInfinity,
            "-.inf" or "-.Inf" or "-.INF" => double.NegativeInfinity,
            ".nan" or ".NaN" or ".NAN" => double.NaN,
            _ => text,
        };
    }

    // [-+]?[0-9]+
    private static bool IsInteger(string text)
    {
        var digits = text.AsSpan(text.Length > 0 && text[0] is '-' or '+' ? 1 : 0);
        return digits.Length > 0 && !digits.ContainsAnyExceptInRange('0', '9');
    }

    // YAML 1.2 core schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    private static bool IsNumber(string text)
    {
        var s = text.AsSpan(text.Length > 0 && text[0] is '-' or '+' ? 1 : 0);
        var i = 0;
        var mantissa = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
            mantissa++;
        }

        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
                mantissa++;
            }
        }

        if (mantissa == 0)
        {
            return false;
        }

        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '-' or '+')
            {
                i++;
            }

            var exponent = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == exponent)
            {
                return false;
            }
        }

        return i == s.Length;
    }
}
