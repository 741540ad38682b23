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
}
