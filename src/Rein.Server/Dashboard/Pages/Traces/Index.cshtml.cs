using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;
using Rein.Server.Identity;
using Rein.Server.Traces;

namespace Rein.Server.Dashboard.Pages.Traces;

/// <summary>
/// The project's runs, newest first, under a filter form that is a plain GET: every filter is in the address, so a
/// filtered list can be bookmarked and shared. Each field is bound as text and checked here, so that a bad value is
/// a message beside its field rather than model binding's error or a 500.
/// </summary>
public sealed class RunsModel(TraceQueries traces) : FilteredListModel(MaxTextLength)
{
    public const int PageSize = Paging.DefaultLimit;

    /// <summary>Longer than any agent, release, session, user or tool name worth filtering on; longer is a paste gone wrong.</summary>
    public const int MaxTextLength = 256;

    [BindProperty(SupportsGet = true, Name = "agent")]
    public string? Agent { get; set; }

    [BindProperty(SupportsGet = true, Name = "release")]
    public string? Release { get; set; }

    [BindProperty(SupportsGet = true, Name = "status")]
    public string? Status { get; set; }

    [BindProperty(SupportsGet = true, Name = "session")]
    public string? Session { get; set; }

    [BindProperty(SupportsGet = true, Name = "user")]
    public string? UserId { get; set; }

    [BindProperty(SupportsGet = true, Name = "from")]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true, Name = "to")]
    public string? To { get; set; }

    [BindProperty(SupportsGet = true, Name = "minCost")]
    public string? MinCost { get; set; }

    /// <summary><c>yes</c> for runs with an error span, <c>no</c> for runs without; empty for both.</summary>
    [BindProperty(SupportsGet = true, Name = "errors")]
    public string? Errors { get; set; }

    [BindProperty(SupportsGet = true, Name = "tool")]
    public string? Tool { get; set; }

    public IReadOnlyList<RunSummary> Runs { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var filter = ParseFilter();
        if (Problems.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        Filtered = filter != new RunFilter();
        var cursor = string.IsNullOrWhiteSpace(Cursor) ? null : Cursor.Trim();
        try
        {
            var page = await traces.ListRunsAsync(HttpContext.Caller(), filter, cursor, PageSize, cancellationToken);
            Runs = page.Items;
            OlderUrl = page.Next is null ? null : PageUrl(page.Next);
            NewestUrl = cursor is null ? null : PageUrl(null);
        }
        catch (ReinProblemException e) when (e.Status < 500)
        {
            // The store checks what only it can (a cursor from an older version, say); say so above the table.
            if (e.Field is { } field && field != "cursor" && field != "limit")
            {
                Problems[field] = e.FieldProblem ?? e.Message;
            }
            else
            {
                Problem = e.Message;
            }

            Response.StatusCode = e.Status;
        }
    }

    /// <summary>This page's address with the current filters and the given cursor.</summary>
    public string PageUrl(string? cursor)
    {
        var query = new QueryBuilder();
        foreach (var (name, value) in FilterValues())
        {
            if (!string.IsNullOrWhiteSpace(value))
            {
                query.Add(name, value.Trim());
            }
        }

        if (cursor is not null)
        {
            query.Add("cursor", cursor);
        }

        return "/traces" + query.ToQueryString();
    }

    private IEnumerable<(string Name, string? Value)> FilterValues() =>
    [
        ("agent", Agent), ("release", Release), ("status", Status), ("session", Session), ("user", UserId),
        ("from", From), ("to", To), ("minCost", MinCost), ("errors", Errors), ("tool", Tool),
    ];

    private RunFilter ParseFilter()
    {
        var filter = new RunFilter
        {
            Agent = Text("agent", Agent),
            Release = Text("release", Release),
            Session = Text("session", Session),
            User = Text("user", UserId),
            Tool = Text("tool", Tool),
            Status = ParseStatus(),
            From = ParseTime("from", From),
            To = ParseTime("to", To),
            MinCost = ParseCost(),
            HasError = ParseErrors(),
        };
        if (filter is { From: { } from, To: { } to } && to <= from)
        {
            Problems["to"] = "must be later than From";
        }

        return filter;
    }

    private RunStatus? ParseStatus()
    {
        if (string.IsNullOrWhiteSpace(Status))
        {
            return null;
        }

        if (Enum.TryParse<RunStatus>(Status.Trim(), ignoreCase: true, out var status) && Enum.IsDefined(status) && !char.IsDigit(Status.Trim()[0]))
        {
            return status;
        }

        Problems["status"] = $"'{Status.Trim()}' is not a status; choose running, success, failure or escalated";
        return null;
    }

    private decimal? ParseCost()
    {
        if (string.IsNullOrWhiteSpace(MinCost))
        {
            return null;
        }

        var text = MinCost.Trim().TrimStart('$');
        if (decimal.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cost))
        {
            return cost;
        }

        Problems["minCost"] = $"'{MinCost.Trim()}' is not an amount of US dollars, such as 0.05";
        return null;
    }

    private bool? ParseErrors() => Errors?.Trim().ToLowerInvariant() switch
    {
        null or "" => null,
        "yes" or "true" => true,
        "no" or "false" => false,
        _ => Fail("errors", $"'{Errors.Trim()}' is not a choice; use yes, no or leave it empty"),
    };

    private bool? Fail(string field, string problem)
    {
        Problems[field] = problem;
        return null;
    }
}
