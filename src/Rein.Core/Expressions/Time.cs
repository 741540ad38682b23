using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Rein.Core.Expressions;

internal enum TimeField
{
    FullYear,
    Month,
    DayOfMonth,
    Date,
    DayOfWeek,
    DayOfYear,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
}

/// <summary>Timestamps (RFC 3339, kept in UTC) and durations (Go's duration syntax, as CEL uses: "1h30m", "90s",
/// "1.5h", "-5m", "100ms"; printed as seconds, "90s"), and the accessors with an optional time zone.</summary>
internal static class Time
{
    private const int MaxCachedZones = 512;
    private static readonly ConcurrentDictionary<string, TimeZoneInfo?> Zones = new(StringComparer.Ordinal);

    public static string FormatTimestamp(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        var text = utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var fraction = utc.Ticks % TimeSpan.TicksPerSecond;
        return fraction == 0 ? text + "Z" : text + "." + Fraction(fraction) + "Z";
    }

    public static string FormatDuration(TimeSpan value)
    {
        var ticks = value.Ticks;
        var builder = new StringBuilder();
        if (ticks < 0)
        {
            builder.Append('-');
        }

        // Negating long.MinValue ticks overflows; TimeSpan.MinValue is far outside CEL's range but still printable.
        var magnitude = ticks == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(ticks);
        builder.Append((magnitude / TimeSpan.TicksPerSecond).ToString(CultureInfo.InvariantCulture));
        var fraction = (long)(magnitude % TimeSpan.TicksPerSecond);
        if (fraction != 0)
        {
            builder.Append('.').Append(Fraction(fraction));
        }

        return builder.Append('s').ToString();
    }

    private static string Fraction(long ticks) =>
        ticks.ToString("D7", CultureInfo.InvariantCulture).TrimEnd('0');

    /// <summary>RFC 3339: <c>2024-05-01T12:30:00Z</c>, <c>2024-05-01T12:30:00.25+02:00</c>. Digits of a fraction
    /// beyond 100 ns are dropped.</summary>
    public static bool TryParseTimestamp(string text, out DateTimeOffset value)
    {
        value = default;
        var s = text.AsSpan();
        if (s.Length < 20 || s[4] != '-' || s[7] != '-' || s[10] is not ('T' or 't') || s[13] != ':' || s[16] != ':')
        {
            return false;
        }

        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day) ||
            !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        var i = 19;
        long fractionTicks = 0;
        if (s[i] == '.')
        {
            i++;
            var start = i;
            var scale = TimeSpan.TicksPerSecond / 10;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                fractionTicks += (s[i] - '0') * scale;
                scale /= 10;
                i++;
            }

            if (i == start || i - start > 9)
            {
                return false;
            }
        }

        if (i >= s.Length)
        {
            return false;
        }

        TimeSpan offset;
        if (s[i] is 'Z' or 'z' && i == s.Length - 1)
        {
            offset = TimeSpan.Zero;
        }
        else if (!TryParseOffset(s[i..], out offset))
        {
            return false;
        }

        if (month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(Math.Max(year, 1), month) || hour > 23 || minute > 59 || second > 59 || year < 1)
        {
            return false;
        }

        try
        {
            var local = new DateTimeOffset(year, month, day, hour, minute, second, offset).AddTicks(fractionTicks);
            value = local.ToUniversalTime();
            return true;
        }
        catch (ArgumentOutOfRangeException)
        {
            return false;
        }
    }

    private static bool Digits(ReadOnlySpan<char> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            if (!char.IsAsciiDigit(s[i]))
            {
                return false;
            }

            value = (value * 10) + (s[i] - '0');
        }

        return true;
    }

    /// <summary>A fixed offset <c>+05:30</c> or <c>-08:00</c> (the sign may be left out for a positive offset).</summary>
    private static bool TryParseOffset(ReadOnlySpan<char> s, out TimeSpan offset)
    {
        offset = default;
        var sign = 1;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            sign = s[0] == '-' ? -1 : 1;
            s = s[1..];
        }

        if (s.Length != 5 || s[2] != ':' || !Digits(s, 0, 2, out var hours) || !Digits(s, 3, 2, out var minutes) || hours > 23 || minutes > 59)
        {
            return false;
        }

        offset = new TimeSpan(hours, minutes, 0) * sign;
        return true;
    }

    /// <summary>Go's duration syntax, as CEL's <c>duration()</c> takes it: an optional sign, then numbers with an
    /// optional fraction, each with a unit (h, m, s, ms, us, µs, ns); "0" alone is zero.</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && s[0] is '+' or '-')
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return true;
        }

        if (s.IsEmpty)
        {
            return false;
        }

        decimal total = 0;
        while (!s.IsEmpty)
        {
            var i = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            var integerDigits = i;
            if (i < s.Length && s[i] == '.')
            {
                i++;
                while (i < s.Length && char.IsAsciiDigit(s[i]))
                {
                    i++;
                }
            }

            if (i == 0 || (integerDigits == 0 && i == 1) || i > 28)
            {
                return false;
            }

            var number = decimal.Parse(s[..i], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
            s = s[i..];
            var unitLength = 0;
            while (unitLength < s.Length && !char.IsAsciiDigit(s[unitLength]) && s[unitLength] != '.')
            {
                unitLength++;
            }

            decimal ticksPerUnit = s[..unitLength] switch
            {
                "h" => TimeSpan.TicksPerHour,
                "m" => TimeSpan.TicksPerMinute,
                "s" => TimeSpan.TicksPerSecond,
                "ms" => TimeSpan.TicksPerMillisecond,
                "us" or "\u00b5s" or "\u03bcs" => TimeSpan.TicksPerMicrosecond,
                "ns" => 0.01m,
                _ => -1,
            };
            if (ticksPerUnit < 0)
            {
                return false;
            }

            s = s[unitLength..];
            try
            {
                total += number * ticksPerUnit;
            }
            catch (OverflowException)
            {
                return false;
            }

            if (total > long.MaxValue)
            {
                return false;
            }
        }

        var ticks = (long)decimal.Truncate(total);
        value = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }

    /// <summary>"UTC", a fixed offset ("+05:30") or an IANA zone ("America/New_York"); null when unknown.</summary>
    public static TimeZoneInfo? FindZone(string name)
    {
        if (Zones.TryGetValue(name, out var cached))
        {
            return cached;
        }

        var zone = LoadZone(name);
        if (Zones.Count < MaxCachedZones)
        {
            Zones.TryAdd(name, zone);
        }

        return zone;
    }

    private static TimeZoneInfo? LoadZone(string name)
    {
        if (name is "UTC" or "Z" or "utc")
        {
            return TimeZoneInfo.Utc;
        }

        if (TryParseOffset(name, out var offset))
        {
            return TimeZoneInfo.CreateCustomTimeZone(name, offset, name, name);
        }

        // Zone ids are file names under the zone database; anything else (such as "..") is refused before lookup.
        if (name.Length is 0 or > 64 || name.Contains("..", StringComparison.Ordinal) || name[0] == '/' ||
            !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '_' or '-' or '+'))
        {
            return null;
        }

        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(name);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    public static object Get(TimeField field, object? value, object? zone)
    {
        if (value is TimeSpan span)
        {
            if (zone is not null)
            {
                return Values.NoOverload(Name(field), value, zone);
            }

            return field switch
            {
                TimeField.Hours => Values.Box((long)span.TotalHours),
                TimeField.Minutes => Values.Box((long)span.TotalMinutes),
                TimeField.Seconds => Values.Box(span.Ticks / TimeSpan.TicksPerSecond),
                TimeField.Milliseconds => Values.Box(span.Ticks / TimeSpan.TicksPerMillisecond),
                _ => Values.NoOverload(Name(field), value),
            };
        }

        if (value is not DateTimeOffset timestamp)
        {
            return zone is null ? Values.NoOverload(Name(field), value) : Values.NoOverload(Name(field), value, zone);
        }

        var local = timestamp.ToUniversalTime();
        if (zone is not null)
        {
            if (zone is not string zoneName)
            {
                return Values.NoOverload(Name(field), value, zone);
            }

            var info = FindZone(zoneName);
            if (info is null)
            {
                return Values.Error($"unknown time zone '{zoneName}'");
            }

            local = TimeZoneInfo.ConvertTime(timestamp, info);
        }

        return Values.Box(field switch
        {
            TimeField.FullYear => local.Year,
            TimeField.Month => local.Month - 1,
            TimeField.DayOfMonth => local.Day - 1,
            TimeField.Date => local.Day,
            TimeField.DayOfWeek => (int)local.DayOfWeek,
            TimeField.DayOfYear => local.DayOfYear - 1,
            TimeField.Hours => local.Hour,
            TimeField.Minutes => local.Minute,
            TimeField.Seconds => local.Second,
            _ => local.Millisecond,
        });
    }

    public static string Name(TimeField field) => field switch
    {
        TimeField.FullYear => "getFullYear",
        TimeField.Month => "getMonth",
        TimeField.DayOfMonth => "getDayOfMonth",
        TimeField.Date => "getDate",
        TimeField.DayOfWeek => "getDayOfWeek",
        TimeField.DayOfYear => "getDayOfYear",
        TimeField.Hours => "getHours",
        TimeField.Minutes => "getMinutes",
        TimeField.Seconds => "getSeconds",
        _ => "getMilliseconds",
    };
}
