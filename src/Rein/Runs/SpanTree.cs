using Rein.Client;

namespace Rein.Cli.Runs;

/// <summary>A span placed in the tree: its depth, and whether it is at the top only because its parent never arrived
/// (<see cref="Orphan"/>) or because its parents form a cycle (<see cref="InCycle"/>).</summary>
public sealed record SpanLine(TraceSpan Span, int Depth, bool Orphan, bool InCycle);

/// <summary>
/// Orders a run's spans as a tree, depth first: children under their parent, siblings by start time. Spans whose
/// parent is not in the run (not received, or lost) start their own trees at the top level, ordered by time among
/// the roots; spans caught in a cycle of parents, which only a broken sender produces, are shown last.
/// </summary>
public static class SpanTree
{
    public static IReadOnlyList<SpanLine> Lines(IReadOnlyList<TraceSpan> spans)
    {
        ArgumentNullException.ThrowIfNull(spans);
        var byId = new Dictionary<string, TraceSpan>(StringComparer.Ordinal);
        foreach (var span in spans)
        {
            byId.TryAdd(span.SpanId, span);
        }

        var children = new Dictionary<string, List<TraceSpan>>(StringComparer.Ordinal);
        var tops = new List<TraceSpan>();
        foreach (var span in byId.Values)
        {
            if (span.ParentSpanId is { } parent && parent != span.SpanId && byId.ContainsKey(parent))
            {
                if (!children.TryGetValue(parent, out var list))
                {
                    children[parent] = list = [];
                }

                list.Add(span);
            }
            else
            {
                tops.Add(span);
            }
        }

        var lines = new List<SpanLine>(byId.Count);
        var placed = new HashSet<string>(StringComparer.Ordinal);
        Walk(Sorted(tops), children, lines, placed, inCycle: false);

        // Whatever is left hangs in a cycle of parents: show it rather than lose it.
        var stranded = byId.Values.Where(s => !placed.Contains(s.SpanId)).ToList();
        while (stranded.Count > 0)
        {
            Walk(Sorted(stranded.Take(1)), children, lines, placed, inCycle: true);
            stranded = [.. stranded.Where(s => !placed.Contains(s.SpanId))];
        }

        return lines;
    }

    /// <summary>Depth first with an explicit stack: a run may nest deeper than the call stack should go.</summary>
    private static void Walk(List<TraceSpan> tops, Dictionary<string, List<TraceSpan>> children, List<SpanLine> lines, HashSet<string> placed, bool inCycle)
    {
        var stack = new Stack<(TraceSpan Span, int Depth)>();
        for (var i = tops.Count - 1; i >= 0; i--)
        {
            stack.Push((tops[i], 0));
        }

        while (stack.Count > 0)
        {
            var (span, depth) = stack.Pop();
            if (!placed.Add(span.SpanId))
            {
                continue;
            }

            var top = depth == 0 && span.ParentSpanId is not null;
            lines.Add(new SpanLine(span, depth, top && !inCycle, top && inCycle));
            if (children.TryGetValue(span.SpanId, out var kids))
            {
                var ordered = Sorted(kids);
                for (var i = ordered.Count - 1; i >= 0; i--)
                {
                    stack.Push((ordered[i], depth + 1));
                }
            }
        }
    }

    private static List<TraceSpan> Sorted(IEnumerable<TraceSpan> spans) =>
        [.. spans.OrderBy(s => s.StartUnixNano).ThenBy(s => s.SpanId, StringComparer.Ordinal)];
}
