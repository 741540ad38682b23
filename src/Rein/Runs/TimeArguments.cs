using System.Globalization;
using System.Text.RegularExpressions;

namespace Rein.Cli.Runs;

/// <summary>
/// <c>--since</c>/<c>--until</c> (a duration back from now, <c>90s</c>, <c>15m</c>, <c>1h</c>, <c>2d</c>, <c>1w</c>, or a
/// point in time, <c>2026-11-01</c> (UTC) or ISO 8601) and <c>--interval</c> (<c>500ms</c>, <c>2s</c>, <c>1m</c>).
/// </summary>
public static partial class TimeArguments
{
    public const string PointHelp = "a duration back from now such as 30m, 1h, 2d or 1w, or a date such as 2026-11-01 (UTC) or 2026-11-01T09:00:00+02:00";

    public const string DurationHelp = "a duration such as 500ms, 2s or 1m";

    /// <summary>Ten years back covers any retention; more is a typo, and would underflow DateTimeOffset soon after.</summary>
    public static readonly TimeSpan MaxAgo = TimeSpan.FromDays(3650);

    public static bool TryParsePoint(string? text, DateTimeOffset now, out DateTimeOffset at, out string error)
    {
        at = default;
        error = "";
        var value = text?.Trim() ?? "";
        if (TryParseDuration(value, out var ago, allowMilliseconds: false))
        {
            if (ago > MaxAgo)
            {
                error = $"'{value}' is more than {MaxAgo.TotalDays / 365:0} years back";
                return false;
            }

            at = now - ago;
            return true;
        }

        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            at = new DateTimeOffset(date, TimeOnly.MinValue, TimeSpan.Zero);
            return true;
        }

        if (DateTimeLike().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            at = parsed;
            return true;
        }

        error = $"'{value}' is not a duration or a time: use {PointHelp}";
        return false;
    }

    /// <summary>A positive duration: a whole number and a unit (ms, s, m, h, d, w).</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration, bool allowMilliseconds = true)
    {
        duration = default;
        var match = Duration().Match(text?.Trim() ?? "");
        if (!match.Success || (match.Groups[2].Value == "ms" && !allowMilliseconds)
            || !long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count == 0)
        {
            return false;
        }

        duration = match.Groups[2].Value switch
        {
            "ms" => TimeSpan.FromMilliseconds(count),
            "s" => TimeSpan.FromSeconds(count),
            "m" => TimeSpan.FromMinutes(count),
            "h" => TimeSpan.FromHours(count),
            "d" => TimeSpan.FromDays(count),
            _ => TimeSpan.FromDays(count * 7),
        };
        return true;
    }

    // At most six digits: even weeks stay inside TimeSpan's range (about 29,000 years).
    [GeneratedRegex("^([0-9]{1,6})(ms|s|m|h|d|w)$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DateTimeLike();
}
