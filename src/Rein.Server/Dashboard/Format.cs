using System.Globalization;
using Microsoft.AspNetCore.Html;

namespace Rein.Server.Dashboard;

/// <summary>How the dashboard writes times: UTC, the same on every page and every browser.</summary>
public static class Format
{
    public static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    /// <summary>
    /// A <c>&lt;time&gt;</c> element for a table cell whose heading says UTC: to the minute (or second), the full time in
    /// its title. The date never breaks at its hyphens; a narrow column breaks between date and time instead.
    /// The content is digits and punctuation from a format string, so it needs no encoding.
    /// </summary>
    public static HtmlString Cell(DateTimeOffset value, bool seconds = false)
    {
        var utc = value.UtcDateTime;
        var date = utc.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        var time = utc.ToString(seconds ? "HH:mm:ss" : "HH:mm", CultureInfo.InvariantCulture);
        var iso = utc.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return new HtmlString($"<time datetime=\"{iso}\" title=\"{Time(value)}\"><span class=\"date\">{date}</span> {time}</time>");
    }

    /// <summary>A duration the way people read it: milliseconds below a second, then seconds, then minutes.</summary>
    public static string Duration(double milliseconds) => milliseconds switch
    {
        < 0 => "0 ms",
        < 1 => milliseconds.ToString("0.##", CultureInfo.InvariantCulture) + " ms",
        < 1_000 => milliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms",
        < 60_000 => (milliseconds / 1_000).ToString("0.0#", CultureInfo.InvariantCulture) + " s",
        < 3_600_000 => $"{(int)(milliseconds / 60_000)} min {(int)(milliseconds % 60_000 / 1_000):D2} s",
        _ => $"{(int)(milliseconds / 3_600_000)} h {(int)(milliseconds % 3_600_000 / 60_000):D2} min",
    };

    /// <summary>A cost in US dollars; null is a cost nobody knows (a model with no price), which is not zero.</summary>
    public static string Cost(decimal? dollars) => dollars switch
    {
        null => "unknown",
        0m => "$0",
        < 0.01m => "$" + dollars.Value.ToString("0.######", CultureInfo.InvariantCulture),
        _ => "$" + dollars.Value.ToString("#,0.00##", CultureInfo.InvariantCulture),
    };

    /// <summary>A count with thousands separated, the same in every browser.</summary>
    /// <summary>The text cut to <paramref name="max"/> characters with an ellipsis.</summary>
    public static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";

    public static string Count(long value) => value.ToString("#,0", CultureInfo.InvariantCulture);

    /// <summary>A count and its noun, singular for one: "1 secret", "2 secrets".</summary>
    public static string Plural(long count, string noun, string? plural = null) =>
        $"{Count(count)} {(count == 1 ? noun : plural ?? noun + "s")}";
}
