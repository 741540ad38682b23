using System.Globalization;
using System.Text.RegularExpressions;

namespace Rein.Cli.Keys;

/// <summary><c>--expires</c>: a duration from now (<c>30d</c>, <c>12h</c>, <c>2w</c>, <c>1y</c>) or a point in time
/// (<c>2027-01-01</c>, midnight UTC, or an ISO 8601 date and time).</summary>
public static partial class Expiry
{
    /// <summary>Further out than this is almost certainly a typo (and would overflow DateTimeOffset soon after).</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(100 * 365);

    public const string Help = "a duration such as 30d, 12h, 2w or 1y, or a date such as 2027-01-01 (UTC) or 2027-01-01T09:00:00+02:00";

    public static bool TryParse(string? text, DateTimeOffset now, out DateTimeOffset expiresAt, out string error)
    {
        expiresAt = default;
        error = "";
        var value = text?.Trim() ?? "";
        if (Duration().Match(value) is { Success: true } match)
        {
            if (!long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count == 0)
            {
                error = $"'{value}' is not a duration: the number must be at least 1";
                return false;
            }

            var days = match.Groups[2].Value switch
            {
                "h" => count / 24.0,
                "d" => count,
                "w" => count * 7.0,
                _ => count * 365.0,
            };
            if (days > MaxDuration.TotalDays)
            {
                error = $"'{value}' is more than {MaxDuration.TotalDays / 365:0} years away";
                return false;
            }

            expiresAt = now + TimeSpan.FromDays(days);
            return true;
        }

        var parsed = DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? new DateTimeOffset(date, TimeOnly.MinValue, TimeSpan.Zero)
            : DateTimeLike().IsMatch(value) && DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                ? at
                : (DateTimeOffset?)null;
        if (parsed is null)
        {
            error = $"'{value}' is not a duration or a date: use {Help}";
            return false;
        }

        if (parsed <= now)
        {
            error = $"'{value}' is in the past; a key must expire in the future";
            return false;
        }

        expiresAt = parsed.Value;
        return true;
    }

    [GeneratedRegex("^([0-9]{1,9})([hdwy])$", RegexOptions.CultureInvariant)]
    private static partial Regex Duration();

    [GeneratedRegex(@"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DateTimeLike();
}
