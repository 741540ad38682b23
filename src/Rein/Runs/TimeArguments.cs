using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Rein.Cli.Runs;

/// <summary>
/// The one grammar of times on rein's command line. A duration is a whole number and a unit: <c>500ms</c>, <c>90s</c>,
/// <c>15m</c>, <c>1h</c>, <c>2d</c>, <c>1w</c>, <c>1y</c> (365 days), the same for every option (<c>--since</c>,
/// <c>--until</c>, <c>--interval</c>, <c>--timeout</c>, <c>--expiry</c>, <c>--expires</c>); each option only bounds it. A
/// point in time is a duration back from now (<c>--since</c>/<c>--until</c>) or ahead of now (<c>--expires</c>), or a
/// date, <c>2026-11-01</c> (midnight UTC), or an ISO 8601 date and time.
/// </summary>
public static partial class TimeArguments
{
    public const string DurationHelp = "a duration such as 500ms, 90s, 15m, 1h, 2d, 1w or 1y";

    public const string PointHelp = "a duration back from now such as 90s, 30m, 1h, 2d or 1w, or a date such as 2026-11-01 (UTC) or 2026-11-01T09:00:00+02:00";

    public const string FutureHelp = "a duration from now such as 12h, 30d, 2w or 1y, or a date such as 2027-01-01 (UTC) or 2027-01-01T09:00:00+02:00";

    /// <summary>Ten years back covers any retention; more is a typo, and would underflow DateTimeOffset soon after.</summary>
    public static readonly TimeSpan MaxAgo = TimeSpan.FromDays(3650);

    public static bool TryParsePoint(string? text, DateTimeOffset now, out DateTimeOffset at, out string error)
    {
        at = default;
        error = "";
        var value = text?.Trim() ?? "";
        if (TryParseDuration(value, out var ago))
        {
            if (ago > MaxAgo)
            {
                error = $"'{value}' is more than {MaxAgo.TotalDays / 365:0} years back";
                return false;
            }

            at = now - ago;
            return true;
        }

        if (TryParseDate(value, out at))
        {
            return true;
        }

        error = $"'{value}' is not a duration or a time: use {PointHelp}";
        return false;
    }

    /// <summary>A duration option of the one grammar, bounded from <paramref name="min"/> to <paramref name="max"/>;
    /// its value is null when the option is not given (the caller applies <paramref name="defaultValue"/>).</summary>
    public static Option<TimeSpan?> DurationOption(string name, string description, TimeSpan defaultValue, TimeSpan min, TimeSpan max) => new(name)
    {
        Description = $"{description}: {DurationHelp}, at most {Describe(max)} [default: {Describe(defaultValue)}]",
        HelpName = "duration",
        CustomParser = result =>
        {
            if (result.Tokens.Count == 0)
            {
                return null;
            }

            if (TryParseDuration(name, result.Tokens[0].Value, min, max, out var value, out var error))
            {
                return value;
            }

            result.AddError(error);
            return null;
        },
    };

    /// <summary>A positive duration in the one grammar: a whole number (at most six digits) and a unit (ms, s, m, h, d,
    /// w, y).</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        var match = Duration().Match(text?.Trim() ?? "");
        if (!match.Success || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count == 0)
        {
            return false;
        }

        var unit = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(1),
            "s" => TimeSpan.FromSeconds(1),
            "m" => TimeSpan.FromMinutes(1),
            "h" => TimeSpan.FromHours(1),
            "d" => TimeSpan.FromDays(1),
            "w" => TimeSpan.FromDays(7),
            _ => TimeSpan.FromDays(365),
        };

        // Six digits of years would pass TimeSpan's range (about 29,000 years).
        if (count > TimeSpan.MaxValue.Ticks / unit.Ticks)
        {
            return false;
        }

        duration = TimeSpan.FromTicks(count * unit.Ticks);
        return true;
    }

    /// <summary>A duration (<c>30m</c>, <c>24h</c>, <c>7d</c>) from <paramref name="min"/> to <paramref name="max"/>;
    /// false with a reason naming <paramref name="name"/> for anything else.</summary>
    public static bool TryParseDuration(string name, string? text, TimeSpan min, TimeSpan max, out TimeSpan value, out string error)
    {
        error = "";
        var trimmed = text?.Trim() ?? "";
        if (!TryParseDuration(trimmed, out value))
        {
            error = $"{name}: '{trimmed}' is not a duration: use {DurationHelp}";
            return false;
        }

        if (value < min || value > max)
        {
            error = $"{name}: '{trimmed}' is out of range: use a duration from {Describe(min)} to {Describe(max)}";
            return false;
        }

        return true;
    }

    /// <summary>A duration as people write it: the largest whole unit (<c>7d</c>, <c>30m</c>, <c>90s</c>), with a day
    /// written <c>24h</c>.</summary>
    public static string Describe(TimeSpan value)
    {
        (TimeSpan Unit, string Suffix)[] units = [(TimeSpan.FromDays(1), "d"), (TimeSpan.FromHours(1), "h"), (TimeSpan.FromMinutes(1), "m"), (TimeSpan.FromSeconds(1), "s")];
        foreach (var (unit, suffix) in units)
        {
            if (value >= unit && value.Ticks % unit.Ticks == 0 && !(suffix == "d" && value == unit))
            {
                return (value.Ticks / unit.Ticks).ToString(CultureInfo.InvariantCulture) + suffix;
            }
        }

        return ((long)value.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
    }

    /// <summary>A date (<c>2026-11-01</c>, midnight UTC) or an ISO 8601 date and time (UTC when it has no offset).</summary>
    public static bool TryParseDate(string? text, out DateTimeOffset at)
    {
        var value = text?.Trim() ?? "";
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            at = new DateTimeOffset(date, TimeOnly.MinValue, TimeSpan.Zero);
            return true;
        }

        if (DateTimeLike().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at))
        {
            return true;
        }

        at = default;
        return false;
    }

    [GeneratedRegex("^([0-9]{1,6})(ms|s|m|h|d|w|y)$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DateTimeLike();
}
