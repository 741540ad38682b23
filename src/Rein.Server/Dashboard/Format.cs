using System.Globalization;

namespace Rein.Server.Dashboard;

/// <summary>How the dashboard writes times: UTC, to the second, the same on every page and every browser.</summary>
public static class Format
{
    public static string Time(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC";

    public static string Time(DateTimeOffset? value, string none) => value is { } v ? Time(v) : none;
}
