using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Traces;
using Rein.Server.Identity;
using Rein.Server.Traces;

namespace Rein.Server.Dashboard.Pages.Traces;

/// <summary>
/// One span's detail as an HTML fragment (no layout), which rein.js fetches into the run page's detail panel when a
/// span is selected. It answers to the same session cookie as the page, and opened on its own it is still readable.
/// </summary>
public sealed class SpanDetailModel(TraceQueries traces) : PageModel
{
    public RunSummary Run { get; private set; } = null!;

    public Span Span { get; private set; } = null!;

    /// <summary>Where the run's time axis starts (its earliest span), so times read as offsets into the run.</summary>
    public long RunStart => Run.StartUnixNano;

    public async Task<IActionResult> OnGetAsync(string id, string spanId, CancellationToken cancellationToken)
    {
        // Only this span is read: a 2,000-span run is not loaded again for every span selected.
        if (await traces.GetSpanAsync(HttpContext.Caller(), id, spanId, cancellationToken) is not { } found)
        {
            return NotFound();
        }

        (Run, Span) = found;
        return Page();
    }

    /// <summary>A time in the span as an offset from the run's start.</summary>
    public string Offset(long unixNano) => "+" + Format.Duration(Math.Max(0, unixNano - RunStart) / 1e6);

    public static DateTimeOffset At(long unixNano) => DateTimeOffset.UnixEpoch.AddTicks(unixNano / 100);
}
