using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Server.Identity;
using Rein.Server.Traces;

namespace Rein.Server.Dashboard.Pages.Traces;

/// <summary>
/// One run: its summary and a waterfall of every span. The waterfall carries only what a row shows; a span's
/// attributes, messages and events come from <see cref="SpanDetailModel"/> when it is selected, so a run of thousands
/// of spans stays a page the browser can lay out at once.
/// </summary>
public sealed class RunModel(TraceQueries traces) : PageModel
{
    public RunSummary Run { get; private set; } = null!;

    public IReadOnlyList<WaterfallRow> Rows { get; private set; } = [];

    /// <summary>The length of the waterfall's time axis.</summary>
    public double AxisMs { get; private set; }

    public int Orphans { get; private set; }

    public async Task<IActionResult> OnGetAsync(string id, CancellationToken cancellationToken)
    {
        var detail = await traces.GetRunAsync(HttpContext.Caller(), id, cancellationToken);
        if (detail is null)
        {
            return NotFound();
        }

        Run = detail.Run;
        Rows = Waterfall.Build(detail.Spans, Run.StartUnixNano, Run.EndUnixNano);
        if (detail.Spans.Count > 0)
        {
            var start = Math.Min(Run.StartUnixNano, detail.Spans.Min(s => s.StartUnixNano));
            var end = Math.Max(Run.EndUnixNano, detail.Spans.Max(s => s.EndUnixNano));
            AxisMs = Math.Max(0, end - start) / 1e6;
        }

        Orphans = Rows.Count(r => r.Orphan);
        return Page();
    }
}

/// <summary>What the trace pages accept as ids before asking the store.</summary>
public static class TraceIds
{
    /// <summary>Session ids are the agent's own strings; longer than this is not an id anyone would link to.</summary>
    public const int MaxSessionIdLength = 256;

    public static bool IsSessionId(string? id) =>
        !string.IsNullOrWhiteSpace(id) && id.Length <= MaxSessionIdLength && !id.Any(char.IsControl);
}
