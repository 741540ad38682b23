using System.Text.Json;

namespace Rein.Server.Approvals;

/// <summary>Where two argument objects differ, as JSON paths (<c>$.amount</c>, <c>$.items[0].qty</c>, <c>$['a b']</c>):
/// what an approver changed, for the feedback dataset.</summary>
internal static class ArgumentChanges
{
    /// <summary>Paths listed at most; a diff of huge arguments says what changed first.</summary>
    public const int MaxPaths = 1000;

    public static IReadOnlyList<string> Between(JsonElement? proposed, JsonElement? approved)
    {
        var paths = new List<string>();
        Compare(proposed, approved, "$", paths);
        return paths;
    }

    private static void Compare(JsonElement? a, JsonElement? b, string path, List<string> paths)
    {
        if (paths.Count >= MaxPaths)
        {
            return;
        }

        if (a is not { } x || b is not { } y || x.ValueKind != y.ValueKind)
        {
            if (!(IsNothing(a) && IsNothing(b)))
            {
                paths.Add(path);
            }

            return;
        }

        switch (x.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new SortedSet<string>(StringComparer.Ordinal);
                foreach (var p in x.EnumerateObject())
                {
                    names.Add(p.Name);
                }

                foreach (var p in y.EnumerateObject())
                {
                    names.Add(p.Name);
                }

                foreach (var name in names)
                {
                    Compare(x.TryGetProperty(name, out var xv) ? xv : null, y.TryGetProperty(name, out var yv) ? yv : null, Member(path, name), paths);
                }

                break;
            case JsonValueKind.Array:
                var length = Math.Max(x.GetArrayLength(), y.GetArrayLength());
                for (var i = 0; i < length; i++)
                {
                    Compare(i < x.GetArrayLength() ? x[i] : null, i < y.GetArrayLength() ? y[i] : null, path + "[" + i + "]", paths);
                }

                break;
            case JsonValueKind.Number:
                if (!(x.TryGetDecimal(out var dx) && y.TryGetDecimal(out var dy) ? dx == dy : x.GetRawText() == y.GetRawText()))
                {
                    paths.Add(path);
                }

                break;
            default:
                if (!JsonElement.DeepEquals(x, y))
                {
                    paths.Add(path);
                }

                break;
        }
    }

    private static bool IsNothing(JsonElement? e) => e is null || e.Value.ValueKind is JsonValueKind.Undefined;

    private static string Member(string path, string name) =>
        name.Length > 0 && (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_')
            ? path + "." + name
            : path + "['" + name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "']";
}
