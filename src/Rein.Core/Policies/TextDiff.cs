namespace Rein.Core.Policies;

public enum DiffKind
{
    Same,
    Added,
    Removed,
}

/// <summary>A line of a diff: its text and its numbers in the old and the new file.</summary>
public sealed record DiffLine(DiffKind Kind, string Text, int? OldLine, int? NewLine);

public static class TextDiff
{
    /// <summary>
    /// Edits (removed plus added lines) the diff searches for after the common head and tail are set aside. Myers'
    /// algorithm keeps O(edits²) numbers to trace its path back: 2,000 edits is about 16 MB at worst and takes
    /// O((lines) × edits) steps; two versions of one policy differ by far less. Beyond it the changed middle is shown
    /// as all removed, then all added.
    /// </summary>
    internal const int MaxEdits = 2_000;

    /// <summary>A line diff (longest common subsequence), bounded in time and memory by the policy size limit.</summary>
    public static IReadOnlyList<DiffLine> Lines(string before, string after)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        var a = Split(before);
        var b = Split(after);
        var head = 0;
        while (head < a.Length && head < b.Length && a[head] == b[head])
        {
            head++;
        }

        var tail = 0;
        while (tail < a.Length - head && tail < b.Length - head && a[a.Length - 1 - tail] == b[b.Length - 1 - tail])
        {
            tail++;
        }

        var result = new List<DiffLine>(Math.Max(a.Length, b.Length) + 8);
        for (var i = 0; i < head; i++)
        {
            result.Add(new(DiffKind.Same, a[i], i + 1, i + 1));
        }

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var oldIds = Ids(a, head, a.Length - head - tail, ids);
        var newIds = Ids(b, head, b.Length - head - tail, ids);
        var middle = Myers(oldIds, newIds, MaxEdits);
        if (middle is null)
        {
            for (var i = 0; i < oldIds.Length; i++)
            {
                result.Add(new(DiffKind.Removed, a[head + i], head + i + 1, null));
            }

            for (var j = 0; j < newIds.Length; j++)
            {
                result.Add(new(DiffKind.Added, b[head + j], null, head + j + 1));
            }
        }
        else
        {
            AddGrouped(result, middle, a, b, head);
        }

        for (var i = 0; i < tail; i++)
        {
            var oldIndex = a.Length - tail + i;
            var newIndex = b.Length - tail + i;
            result.Add(new(DiffKind.Same, a[oldIndex], oldIndex + 1, newIndex + 1));
        }

        return result;
    }

    private static string[] Split(string text)
    {
        if (text.Length == 0)
        {
            return [];
        }

        var lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        return lines[^1].Length == 0 ? lines[..^1] : lines;
    }

    private static int[] Ids(string[] lines, int start, int count, Dictionary<string, int> ids)
    {
        var result = new int[count];
        for (var i = 0; i < count; i++)
        {
            var line = lines[start + i];
            if (!ids.TryGetValue(line, out var id))
            {
                id = ids.Count;
                ids.Add(line, id);
            }

            result[i] = id;
        }

        return result;
    }

    // Within a run of changes, removed lines come before added ones, as in unified diffs.
    private static void AddGrouped(List<DiffLine> result, List<(DiffKind Kind, int Old, int New)> edits, string[] a, string[] b, int offset)
    {
        var i = 0;
        while (i < edits.Count)
        {
            if (edits[i].Kind == DiffKind.Same)
            {
                var (_, o, n) = edits[i++];
                result.Add(new(DiffKind.Same, a[offset + o], offset + o + 1, offset + n + 1));
                continue;
            }

            var end = i;
            while (end < edits.Count && edits[end].Kind != DiffKind.Same)
            {
                end++;
            }

            for (var k = i; k < end; k++)
            {
                if (edits[k].Kind == DiffKind.Removed)
                {
                    result.Add(new(DiffKind.Removed, a[offset + edits[k].Old], offset + edits[k].Old + 1, null));
                }
            }

            for (var k = i; k < end; k++)
            {
                if (edits[k].Kind == DiffKind.Added)
                {
                    result.Add(new(DiffKind.Added, b[offset + edits[k].New], null, offset + edits[k].New + 1));
                }
            }

            i = end;
        }
    }

    /// <summary>Myers' O(ND) shortest edit script, oldest edit first; null when it needs more than <paramref name="maxEdits"/>.</summary>
    internal static List<(DiffKind Kind, int Old, int New)>? Myers(int[] a, int[] b, int maxEdits)
    {
        int n = a.Length, m = b.Length;
        var limit = Math.Min(maxEdits, n + m);
        var offset = limit + 1;
        var v = new int[(2 * limit) + 3];
        var trace = new List<int[]>();
        for (var d = 0; d <= limit; d++)
        {
            // The furthest x on diagonals -d-1..d+1 before step d: all that the backtrack needs from this step.
            var saved = new int[(2 * d) + 3];
            Array.Copy(v, offset - d - 1, saved, 0, saved.Length);
            trace.Add(saved);
            for (var k = -d; k <= d; k += 2)
            {
                var x = k == -d || (k != d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
                var y = x - k;
                while (x < n && y < m && a[x] == b[y])
                {
                    x++;
                    y++;
                }

                v[offset + k] = x;
                if (x >= n && y >= m)
                {
                    return Backtrack(trace, n, m);
                }
            }
        }

        return null;
    }

    private static List<(DiffKind Kind, int Old, int New)> Backtrack(List<int[]> trace, int n, int m)
    {
        var edits = new List<(DiffKind Kind, int Old, int New)>(n + m);
        int x = n, y = m;
        for (var d = trace.Count - 1; d >= 0; d--)
        {
            var saved = trace[d];
            var k = x - y;
            int prevK, prevX, prevY;
            if (d == 0)
            {
                prevX = 0;
                prevY = 0;
            }
            else
            {
                // saved[i] holds diagonal i - d - 1.
                prevK = k == -d || (k != d && saved[k - 1 + d + 1] < saved[k + 1 + d + 1]) ? k + 1 : k - 1;
                prevX = saved[prevK + d + 1];
                prevY = prevX - prevK;
            }

            while (x > prevX && y > prevY)
            {
                edits.Add((DiffKind.Same, --x, --y));
            }

            if (d > 0)
            {
                if (x == prevX)
                {
                    edits.Add((DiffKind.Added, x, --y));
                }
                else
                {
                    edits.Add((DiffKind.Removed, --x, y));
                }
            }
        }

        edits.Reverse();
        return edits;
    }
}
