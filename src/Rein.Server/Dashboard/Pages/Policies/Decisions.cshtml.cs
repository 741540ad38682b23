using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Dashboard.Pages.Policies;

/// <summary>
/// The decision log, newest first, under a filter form that is a plain GET so a filtered list can be bookmarked and
/// shared. Every field is bound as text and checked here, so a bad value is a message beside its field, never a 500.
/// </summary>
public sealed class DecisionsModel(DecisionLog log, TimeProvider time) : FilteredListModel(MaxTextLength)
{
    public const int PageSize = Paging.DefaultLimit;

    /// <summary>The API's bound on a filter value; longer is a paste gone wrong.</summary>
    public const int MaxTextLength = GateApi.MaxFilterLength;

    /// <summary>The "since" presets: what someone looking at the gate right now asks for.</summary>
    public static IReadOnlyList<(string Value, string Label, TimeSpan Span)> SincePresets { get; } =
    [
        ("15m", "last 15 minutes", TimeSpan.FromMinutes(15)),
        ("1h", "last hour", TimeSpan.FromHours(1)),
        ("24h", "last 24 hours", TimeSpan.FromHours(24)),
        ("7d", "last 7 days", TimeSpan.FromDays(7)),
        ("30d", "last 30 days", TimeSpan.FromDays(30)),
    ];

    [BindProperty(SupportsGet = true, Name = "effect")]
    public string? Effect { get; set; }

    [BindProperty(SupportsGet = true, Name = "agent")]
    public string? Agent { get; set; }

    [BindProperty(SupportsGet = true, Name = "tool")]
    public string? Tool { get; set; }

    [BindProperty(SupportsGet = true, Name = "rule")]
    public string? Rule { get; set; }

    [BindProperty(SupportsGet = true, Name = "policy")]
    public string? Policy { get; set; }

    [BindProperty(SupportsGet = true, Name = "since")]
    public string? Since { get; set; }

    [BindProperty(SupportsGet = true, Name = "from")]
    public string? From { get; set; }

    [BindProperty(SupportsGet = true, Name = "to")]
    public string? To { get; set; }

    public IReadOnlyList<DecisionResponse> Decisions { get; private set; } = [];

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var filter = ParseFilter();
        var cursor = string.IsNullOrWhiteSpace(Cursor) ? null : Cursor.Trim();
        if (cursor is not null && !DecisionIds.IsValid(cursor))
        {
            Problem = "The link to this page of decisions is not valid (its cursor was not written by this server); start again from the newest decisions.";
        }

        if (Problems.Count > 0 || Problem is not null)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        Filtered = filter != new DecisionFilter();
        try
        {
            var page = await log.ListAsync(HttpContext.Caller(), filter, cursor, PageSize, cancellationToken);
            Decisions = page.Items;
            OlderUrl = page.Next is null ? null : PageUrl(page.Next);
            NewestUrl = cursor is null ? null : PageUrl(null);
        }
        catch (ReinProblemException e) when (e.Status < 500)
        {
            Problem = e.Message;
            Response.StatusCode = e.Status;
        }
    }

    /// <summary>This page's address with the current filters and the given cursor. A "since" preset stays a preset,
    /// so the older pages of "the last hour" are older pages of the same hour.</summary>
    public string PageUrl(string? cursor)
    {
        var query = new QueryBuilder();
        foreach (var (name, value) in new[] { ("effect", Effect), ("agent", Agent), ("tool", Tool), ("rule", Rule), ("policy", Policy), ("since", Since), ("from", From), ("to", To) })
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

        return "/decisions" + query.ToQueryString();
    }

    private DecisionFilter ParseFilter()
    {
        var filter = new DecisionFilter
        {
            Effect = ParseEffect(),
            Agent = Text("agent", Agent),
            Tool = Text("tool", Tool),
            Rule = Text("rule", Rule),
            Policy = Text("policy", Policy),
            From = ParseSince() ?? ParseTime("from", From),
            To = ParseTime("to", To),
        };
        if (!string.IsNullOrWhiteSpace(Since) && !string.IsNullOrWhiteSpace(From))
        {
            Problems["from"] = "leave this empty when a period is chosen above, or choose \"any time\" there";
        }
        else if (filter is { From: { } from, To: { } to } && to <= from)
        {
            Problems["to"] = "must be later than the start of the period";
        }

        return filter;
    }

    private string? ParseEffect()
    {
        if (string.IsNullOrWhiteSpace(Effect))
        {
            return null;
        }

        var effect = Effect.Trim();
        if (PolicyView.Effects.Contains(effect))
        {
            return effect;
        }

        Problems["effect"] = $"'{Shorten(effect)}' is not an effect; choose allow, confirm, require_approval or deny";
        return null;
    }

    private DateTimeOffset? ParseSince()
    {
        if (string.IsNullOrWhiteSpace(Since))
        {
            return null;
        }

        foreach (var (value, _, span) in SincePresets)
        {
            if (string.Equals(value, Since.Trim(), StringComparison.OrdinalIgnoreCase))
            {
                return time.GetUtcNow() - span;
            }
        }

        Problems["since"] = $"'{Shorten(Since.Trim())}' is not a period; choose one of {string.Join(", ", SincePresets.Select(p => p.Value))}";
        return null;
    }
}
