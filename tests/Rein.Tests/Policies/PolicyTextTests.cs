using Rein.Cli.Policies;
using Rein.Client;

namespace Rein.Cli.Tests.Policies;

public sealed class PolicyTextTests
{
    /// <summary>The server's diff of two sources: every line, each with its kind and numbers.</summary>
    private static List<PolicyDiffLine> Diff(string[] before, string[] after)
    {
        // A small LCS, enough for the shapes below; the server's TextDiff is the real one.
        var table = new int[before.Length + 1, after.Length + 1];
        for (var i = before.Length - 1; i >= 0; i--)
        {
            for (var j = after.Length - 1; j >= 0; j--)
            {
                table[i, j] = before[i] == after[j] ? table[i + 1, j + 1] + 1 : Math.Max(table[i + 1, j], table[i, j + 1]);
            }
        }

        var lines = new List<PolicyDiffLine>();
        int a = 0, b = 0;
        while (a < before.Length || b < after.Length)
        {
            if (a < before.Length && b < after.Length && before[a] == after[b])
            {
                lines.Add(new PolicyDiffLine(DiffKinds.Same, before[a], ++a, ++b));
            }
            else if (a < before.Length && (b == after.Length || table[a + 1, b] >= table[a, b + 1]))
            {
                lines.Add(new PolicyDiffLine(DiffKinds.Removed, before[a], ++a, null));
            }
            else
            {
                lines.Add(new PolicyDiffLine(DiffKinds.Added, after[b], null, ++b));
            }
        }

        return lines;
    }

    private static string[] Numbered(int count) => [.. Enumerable.Range(1, count).Select(i => $"line {i}")];

    [Fact]
    public void UnifiedDiff_OneChangedLine_PrintsOneHunkWithContextAndBothLineNumbers()
    {
        var before = Numbered(10);
        var after = (string[])before.Clone();
        after[4] = "line five";

        var diff = PolicyText.UnifiedDiff("p version 1", "p version 2", Diff(before, after));

        Assert.Equal(
            [
                "--- p version 1",
                "+++ p version 2",
                "@@ -2,7 +2,7 @@",
                "   2  2  line 2",
                "   3  3  line 3",
                "   4  4  line 4",
                "-  5     line 5",
                "+     5  line five",
                "   6  6  line 6",
                "   7  7  line 7",
                "   8  8  line 8",
            ],
            diff);
    }

    [Fact]
    public void UnifiedDiff_ChangesFarApart_PrintsTwoHunks()
    {
        var before = Numbered(30);
        var after = before.Where(l => l != "line 3").Append("line 31").ToArray();

        var diff = PolicyText.UnifiedDiff("a", "b", Diff(before, after));

        Assert.Equal(["@@ -1,6 +1,5 @@", "@@ -28,3 +27,4 @@"], diff.Where(l => l.StartsWith("@@", StringComparison.Ordinal)));
        Assert.Contains("-  3     line 3", diff);
        Assert.Equal("+    30  line 31", diff[^1]);
    }

    [Fact]
    public void UnifiedDiff_ChangesWithinTwiceTheContext_ShareOneHunk()
    {
        var before = Numbered(20);
        var after = (string[])before.Clone();
        after[4] = "changed 5";
        after[10] = "changed 11";

        var diff = PolicyText.UnifiedDiff("a", "b", Diff(before, after));

        Assert.Equal(["@@ -2,13 +2,13 @@"], diff.Where(l => l.StartsWith("@@", StringComparison.Ordinal)));
    }

    [Fact]
    public void UnifiedDiff_ContextZero_PrintsOnlyTheChangedLines()
    {
        var before = Numbered(5);
        var after = before.Where(l => l != "line 3").ToArray();

        var diff = PolicyText.UnifiedDiff("a", "b", Diff(before, after), context: 0);

        Assert.Equal(["--- a", "+++ b", "@@ -3,1 +2,0 @@", "- 3    line 3"], diff);
    }

    [Fact]
    public void UnifiedDiff_SameText_IsEmpty()
    {
        Assert.Empty(PolicyText.UnifiedDiff("a", "b", Diff(Numbered(4), Numbered(4))));
    }

    [Fact]
    public void UnifiedDiff_LineWithEscapeSequence_PrintsItVisibly()
    {
        var diff = PolicyText.UnifiedDiff("a", "b", Diff(["x"], ["\u001b[31mred"]));

        Assert.DoesNotContain(diff, l => l.Contains('\u001b', StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(true, null, null, "  PASS  big refund")]
    [InlineData(false, 12, "expected effect allow, got deny", "  FAIL  big refund (line 12): expected effect allow, got deny")]
    [InlineData(false, null, null, "  FAIL  big refund: failed")]
    public void TestLine_PassOrFail_SaysWhichAndWhy(bool passed, int? line, string? failure, string expected)
    {
        Assert.Equal(expected, PolicyText.TestLine("big refund", passed, line, failure));
    }

    [Theory]
    [InlineData(3, 1, 0, "3 passed, 1 failed")]
    [InlineData(0, 0, 2, "0 passed, 0 failed, 2 files with problems")]
    [InlineData(1, 0, 1, "1 passed, 0 failed, 1 file with problems")]
    public void Summary_Counts_ReadAsASentence(int passed, int failed, int files, string expected)
    {
        Assert.Equal(expected, PolicyText.Summary(passed, failed, files));
    }

    [Fact]
    public void ShortHash_Sha256_KeepsTwelveHexDigits()
    {
        Assert.Equal("sha256:0123456789ab", PolicyText.ShortHash("sha256:" + new string('0', 0) + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
        Assert.Equal("md5:abc", PolicyText.ShortHash("md5:abc"));
    }
}
