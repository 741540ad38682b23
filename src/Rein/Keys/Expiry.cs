using Rein.Cli.Runs;

namespace Rein.Cli.Keys;

/// <summary><c>--expires</c>: a duration from now or a point in time, in the grammar every time option of rein shares
/// (<see cref="TimeArguments"/>).</summary>
public static class Expiry
{
    /// <summary>Further out than this is almost certainly a typo (and would overflow DateTimeOffset soon after).</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(100 * 365);

    public const string Help = TimeArguments.FutureHelp;

    public static bool TryParse(string? text, DateTimeOffset now, out DateTimeOffset expiresAt, out string error)
    {
        expiresAt = default;
        error = "";
        var value = text?.Trim() ?? "";
        if (TimeArguments.TryParseDuration(value, out var ahead))
        {
            if (ahead > MaxDuration)
            {
                error = $"'{value}' is more than {MaxDuration.TotalDays / 365:0} years away";
                return false;
            }

            expiresAt = now + ahead;
            return true;
        }

        if (!TimeArguments.TryParseDate(value, out var at))
        {
            error = $"'{value}' is not a duration or a date: use {Help}";
            return false;
        }

        if (at <= now)
        {
            error = $"'{value}' is in the past; a key must expire in the future";
            return false;
        }

        expiresAt = at;
        return true;
    }
}
