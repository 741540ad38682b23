using System.Globalization;
using Rein.Core.Traces;

namespace Rein.Server.Dashboard.Pages.Traces;

/// <summary>One row of a run's waterfall: a span, where it sits in the tree and where its bar sits on the run's time axis.</summary>
/// <param name="Span">The span as stored.</param>
/// <param name="Depth">0 for a root or an orphan.</param>
/// <param name="Orphan">The span names a parent that never arrived (or that only its own descendants lead back to).</param>
/// <param name="HasChildren">Spans of the run name this one as their parent, so the row folds.</param>
/// <param name="Offset">Percent of the run's duration from the run's start to the span's start.</param>
/// <param name="Width">Percent of the run's duration the span lasted; at least a sliver, so an instant still shows.</param>
public sealed record WaterfallRow(Span Span, int Depth, bool Orphan, bool HasChildren, double Offset, double Width)
{
    /// <summary>SVG attribute values: percentages with invariant dots, short enough to keep 2,000 rows light.</summary>
    public string X => Offset.ToString("0.##", CultureInfo.InvariantCulture) + "%";

    public string W => Width.ToString("0.##", CultureInfo.InvariantCulture) + "%";
}

/// <summary>
/// Lays a run's spans out as a tree in document order: parents before their children, siblings by start time. Spans
/// arrive in any order and some never arrive, so a span whose parent is missing is shown at the top level, marked.
/// </summary>
public static class Waterfall
{
    /// <summary>Narrowest bar, in percent, so that a span of a few microseconds in a minute-long run is still visible.</summary>
    public const double MinWidth = 0.25;

    public static IReadOnlyList<WaterfallRow> Build(IReadOnlyList<Span> spans, long runStart, long runEnd)
    {
        ArgumentNullException.ThrowIfNull(spans);
        if (spans.Count == 0)
        {
            return [];
        }

        // The axis covers every span, also ones that started before or ended after what the run summary says.
        var start = Math.Min(runStart, spans.Min(s => s.StartUnixNano));
        var end = Math.Max(runEnd, spans.Max(s => s.EndUnixNano));
        var total = Math.Max(1, end - start);

        var ids = new HashSet<string>(spans.Count, StringComparer.Ordinal);
        foreach (var span in spans)
        {
            ids.Add(span.SpanId);
        }

        var children = new Dictionary<string, List<Span>>(StringComparer.Ordinal);
        var tops = new List<(Span Span, bool Orphan)>();
        foreach (var span in spans)
        {
            if (span.ParentSpanId is { } parent && parent != span.SpanId && ids.Contains(parent))
            {
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }

                list.Add(span);
            }
            else
            {
                tops.Add((span, span.ParentSpanId is not null));
            }
        }

        var rows = new List<WaterfallRow>(spans.Count);
        var placed = new HashSet<string>(spans.Count, StringComparer.Ordinal);
        foreach (var (span, orphan) in tops.OrderBy(t => t.Span.StartUnixNano).ThenBy(t => t.Span.SpanId, StringComparer.Ordinal))
        {
            Walk(span, orphan);
        }

        // Spans in a parent cycle (a sender's bug) are reachable from no root; they are shown rather than lost.
        foreach (var span in spans.Where(s => !placed.Contains(s.SpanId)).OrderBy(s => s.StartUnixNano).ToList())
        {
            if (!placed.Contains(span.SpanId))
            {
                Walk(span, orphan: true);
            }
        }

        return rows;

        void Walk(Span root, bool orphan)
        {
            // Iterative: a deep chain of spans must not overflow the stack.
            var stack = new Stack<(Span Span, int Depth, bool Orphan)>();
            stack.Push((root, 0, orphan));
            while (stack.Count > 0)
            {
                var (span, depth, isOrphan) = stack.Pop();
                if (!placed.Add(span.SpanId))
                {
                    continue;
                }

                var kids = children.TryGetValue(span.SpanId, out var list) ? list : null;
                var offset = (span.StartUnixNano - start) * 100.0 / total;
                var width = Math.Max(MinWidth, span.DurationNanos * 100.0 / total);
                rows.Add(new WaterfallRow(span, depth, isOrphan, kids is { Count: > 0 }, offset, Math.Min(width, 100 - Math.Min(offset, 100 - MinWidth))));
                if (kids is null)
                {
                    continue;
                }

                foreach (var kid in kids.OrderByDescending(k => k.StartUnixNano).ThenByDescending(k => k.SpanId, StringComparer.Ordinal))
                {
                    stack.Push((kid, depth + 1, false));
                }
            }
        }
    }
}
