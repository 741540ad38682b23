using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Rein.Server.Dashboard.Pages;

/// <summary>
/// A list page under a filter form that is a plain GET, so a filtered list can be bookmarked and shared. Each field is
/// bound as text and checked by the page, so a bad value is a message beside its field rather than model binding's
/// error or a 500; pages are linked by the API's cursor.
/// </summary>
/// <param name="maxTextLength">The most characters a text filter may have; longer is a paste gone wrong.</param>
public abstract class FilteredListModel(int maxTextLength) : PageModel
{
    private static readonly string[] TimeFormats = ["yyyy-MM-ddTHH:mm", "yyyy-MM-ddTHH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd"];

    [BindProperty(SupportsGet = true, Name = "cursor")]
    public string? Cursor { get; set; }

    /// <summary>The next (older) page with the same filters; null on the last page.</summary>
    public string? OlderUrl { get; protected set; }

    /// <summary>The first page with the same filters; null on the first page.</summary>
    public string? NewestUrl { get; protected set; }

    /// <summary>Problems by field name (the query parameter); empty when the filter is good.</summary>
    public Dictionary<string, string> Problems { get; } = new(StringComparer.Ordinal);

    /// <summary>A problem not about one field (a cursor that does not work).</summary>
    public string? Problem { get; protected set; }

    public bool Filtered { get; protected set; }

    public string? ProblemOf(string field) => Problems.GetValueOrDefault(field);

    /// <summary>A text filter, trimmed; null when empty or too long (with the problem noted).</summary>
    protected string? Text(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length > maxTextLength)
        {
            Problems[field] = $"is {trimmed.Length} characters long; at most {maxTextLength} are allowed";
            return null;
        }

        return trimmed;
    }

    /// <summary>A time filter; null when empty or not a time (with the problem noted).</summary>
    protected DateTimeOffset? ParseTime(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim();
        // The form's datetime-local fields send no zone; the fields are labelled UTC, like every time on the page.
        if (DateTimeOffset.TryParseExact(text, TimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out parsed))
        {
            return parsed;
        }

        Problems[field] = $"'{Shorten(text)}' is not a date and time; use the form 2026-01-31T14:30 (UTC)";
        return null;
    }

    /// <summary>A value quoted back in a message, cut to 40 characters.</summary>
    protected static string Shorten(string value) => value.Length > 40 ? value[..40] + "…" : value;
}
