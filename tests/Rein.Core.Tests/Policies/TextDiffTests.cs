using Rein.Core.Policies;

namespace Rein.Core.Tests.Policies;

public sealed class TextDiffTests
{
    private static string Render(IEnumerable<DiffLine> lines) => string.Join("\n", lines.Select(l => l.Kind switch
    {
        DiffKind.Same => $"  {l.Text} ({l.OldLine},{l.NewLine})",
        DiffKind.Removed => $"- {l.Text} ({l.OldLine},)",
        _ => $"+ {l.Text} (,{l.NewLine})",
    }));

    [Fact]
    public void Lines_SameText_IsAllSame()
    {
        var diff = TextDiff.Lines("a\nb\n", "a\nb\n");

        Assert.Equal("  a (1,1)\n  b (2,2)", Render(diff));
    }

    [Fact]
    public void Lines_ChangedLine_IsRemovedThenAdded()
    {
        var diff = TextDiff.Lines("name: p\ndefault: deny\nrules: []\n", "name: p\ndefault: allow\nrules: []\n");

        Assert.Equal("  name: p (1,1)\n- default: deny (2,)\n+ default: allow (,2)\n  rules: [] (3,3)", Render(diff));
    }

    [Fact]
    public void Lines_InsertionsAndDeletions_KeepTheLongestCommonSubsequence()
    {
        var diff = TextDiff.Lines("a\nb\nc\nd\ne\nf", "a\nx\nc\nd\nf\ny");

        Assert.Equal(
            "  a (1,1)\n- b (2,)\n+ x (,2)\n  c (3,3)\n  d (4,4)\n- e (5,)\n  f (6,5)\n+ y (,6)",
            Render(diff));
    }

    [Theory]
    [InlineData("", "", "")]
    [InlineData("", "a\n", "+ a (,1)")]
    [InlineData("a\n", "", "- a (1,)")]
    [InlineData("a\r\nb\r\n", "a\nb", "  a (1,1)\n  b (2,2)")]
    public void Lines_EdgeCases(string before, string after, string expected)
    {
        Assert.Equal(expected, Render(TextDiff.Lines(before, after)));
    }

    [Fact]
    public void Lines_RandomEdits_ReconstructBothTextsWithAMinimalScriptOnSmallInputs()
    {
        var random = new Random(3);
        for (var round = 0; round < 300; round++)
        {
            var before = Enumerable.Range(0, random.Next(0, 30)).Select(_ => "l" + random.Next(6)).ToArray();
            var after = Enumerable.Range(0, random.Next(0, 30)).Select(_ => "l" + random.Next(6)).ToArray();

            var diff = TextDiff.Lines(string.Join("\n", before), string.Join("\n", after));

            Assert.Equal(before, diff.Where(l => l.Kind != DiffKind.Added).Select(l => l.Text));
            Assert.Equal(after, diff.Where(l => l.Kind != DiffKind.Removed).Select(l => l.Text));
            Assert.Equal(Enumerable.Range(1, before.Length).Cast<int?>(), diff.Where(l => l.Kind != DiffKind.Added).Select(l => l.OldLine));
            Assert.Equal(Enumerable.Range(1, after.Length).Cast<int?>(), diff.Where(l => l.Kind != DiffKind.Removed).Select(l => l.NewLine));
            Assert.Equal(Lcs(before, after), diff.Count(l => l.Kind == DiffKind.Same));
        }
    }

    [Fact]
    public void Lines_MoreThanMaxEdits_ShowsTheMiddleAsRemovedThenAdded()
    {
        var count = TextDiff.MaxEdits;
        var before = "head\n" + string.Join("\n", Enumerable.Range(0, count).Select(i => "old" + i)) + "\ntail\n";
        var after = "head\n" + string.Join("\n", Enumerable.Range(0, count).Select(i => "new" + i)) + "\ntail\n";

        var diff = TextDiff.Lines(before, after);

        Assert.Equal(count + count + 2, diff.Count);
        Assert.Equal(DiffKind.Same, diff[0].Kind);
        Assert.All(diff.Skip(1).Take(count), l => Assert.Equal(DiffKind.Removed, l.Kind));
        Assert.All(diff.Skip(1 + count).Take(count), l => Assert.Equal(DiffKind.Added, l.Kind));
        Assert.Equal(new DiffLine(DiffKind.Same, "tail", count + 2, count + 2), diff[^1]);
    }

    [Fact]
    public void Lines_LargestPolicies_DiffQuickly()
    {
        // Two files near the 256 KB policy limit with a change every twentieth line: 1,200 edits, within the bound.
        var before = string.Join("\n", Enumerable.Range(0, 12_000).Select(i => $"line {i} of the policy"));
        var after = string.Join("\n", Enumerable.Range(0, 12_000).Select(i => i % 20 == 0 ? $"changed {i}" : $"line {i} of the policy"));

        var watch = System.Diagnostics.Stopwatch.StartNew();
        var diff = TextDiff.Lines(before, after);

        Assert.Equal(600, diff.Count(l => l.Kind == DiffKind.Added));
        Assert.Equal(11_400, diff.Count(l => l.Kind == DiffKind.Same));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), watch.Elapsed.ToString());
    }

    private static int Lcs(string[] a, string[] b)
    {
        var table = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                table[i, j] = a[i] == b[j] ? table[i + 1, j + 1] + 1 : Math.Max(table[i + 1, j], table[i, j + 1]);
            }
        }

        return table[0, 0];
    }
}
