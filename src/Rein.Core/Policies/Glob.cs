namespace Rein.Core.Policies;

/// <summary>
/// A glob over agent and tool names: <c>*</c> is any run of characters, <c>?</c> one character; case-sensitive and
/// matched against the whole name. The common shapes (exact, <c>crm.get_*</c>, <c>*.delete</c>, <c>*</c>) are compiled
/// to one ordinal comparison.
/// </summary>
internal sealed class Glob
{
    private readonly Shape _shape;
    private readonly string _literal;

    private Glob(string pattern, Shape shape, string literal)
    {
        Pattern = pattern;
        _shape = shape;
        _literal = literal;
    }

    private enum Shape
    {
        Exact,
        Prefix,
        Suffix,
        Contains,
        Any,
        General,
    }

    public string Pattern { get; }

    public bool IsExact => _shape == Shape.Exact;

    public static bool HasWildcards(string text) => text.AsSpan().IndexOfAny('*', '?') >= 0;

    public static Glob Compile(string pattern)
    {
        if (!HasWildcards(pattern))
        {
            return new(pattern, Shape.Exact, pattern);
        }

        if (pattern.AsSpan().IndexOfAnyExcept('*') < 0)
        {
            return new(pattern, Shape.Any, "");
        }

        var inner = pattern.AsSpan().Trim('*');
        if (inner.IndexOfAny('*', '?') >= 0 || pattern.Contains('?', StringComparison.Ordinal))
        {
            return new(pattern, Shape.General, pattern);
        }

        var leading = pattern[0] == '*';
        var trailing = pattern[^1] == '*';
        var shape = leading && trailing ? Shape.Contains : leading ? Shape.Suffix : trailing ? Shape.Prefix : Shape.General;
        return new(pattern, shape, shape == Shape.General ? pattern : inner.ToString());
    }

    public bool Matches(string text) => _shape switch
    {
        Shape.Exact => string.Equals(text, _literal, StringComparison.Ordinal),
        Shape.Prefix => text.StartsWith(_literal, StringComparison.Ordinal),
        Shape.Suffix => text.EndsWith(_literal, StringComparison.Ordinal),
        Shape.Contains => text.Contains(_literal, StringComparison.Ordinal),
        Shape.Any => true,
        _ => IsMatch(_literal, text),
    };

    /// <summary>Matches without compiling: greedy with one backtrack point, so at most O(pattern × text) steps.</summary>
    public static bool IsMatch(string pattern, string text)
    {
        int p = 0, t = 0, star = -1, resume = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || pattern[p] == text[t]))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                resume = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++resume;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
