using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Server.Identity;
using Rein.Server.Traces;

namespace Rein.Server.Dashboard.Pages.Traces;

/// <summary>One session (a conversation): its runs in the order they started, and what they add up to.</summary>
public sealed class SessionModel(TraceQueries traces) : PageModel
{
    public SessionDetail Session { get; private set; } = null!;

    public double TotalDurationMs { get; private set; }

    public long InputTokens { get; private set; }

    public long OutputTokens { get; private set; }

    /// <summary>Null (unknown) when any run's cost is unknown, as on the runs themselves.</summary>
    public decimal? Cost { get; private set; }

    public decimal KnownCost { get; private set; }

    public int Errors { get; private set; }

    public int Violations { get; private set; }

    public int Steps { get; private set; }

    public int ToolCalls { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        if (!TraceIds.IsSessionId(id))
        {
            return NotFound();
        }

        var session = await traces.GetSessionAsync(HttpContext.Caller(), id, cancellationToken);
        if (session is null || session.Runs.Count == 0)
        {
            return NotFound();
        }

        Session = session with { Runs = [.. session.Runs.OrderBy(r => r.StartUnixNano).ThenBy(r => r.Id, StringComparer.Ordinal)] };
        var runs = Session.Runs;
        TotalDurationMs = runs.Sum(r => r.DurationMs);
        InputTokens = runs.Sum(r => r.InputTokens);
        OutputTokens = runs.Sum(r => r.OutputTokens);
        KnownCost = runs.Sum(r => r.KnownCost);
        Cost = runs.Any(r => r.Cost is null) ? null : KnownCost;
        Errors = runs.Sum(r => r.Errors);
        Violations = runs.Sum(r => r.Violations);
        Steps = runs.Sum(r => r.Steps);
        ToolCalls = runs.Sum(r => r.ToolCalls);
        return Page();
    }
}
