using System.Globalization;
using System.Text;
using Rein.Cli.Runs;
using Rein.Client;

namespace Rein.Cli.Policies;

/// <summary>How policies read on a terminal: diffs, test reports and version summaries.</summary>
public static class PolicyText
{
    /// <summary>Lines of unchanged text around each change in a diff, as <c>diff -u</c> shows by default.</summary>
    public const int DefaultContext = 3;

    /// <summary>More context than this is the whole file for any policy worth diffing; a bound keeps the option sane.</summary>
    public const int MaxContext = 1000;

    /// <summary>Policy lines are cut here on a terminal; a policy file is at most 256 KiB, but one line can be most of it.</summary>
    public const int MaxLineLength = 2000;

    /// <summary>
    /// A unified diff with both line numbers: <c>---</c>/<c>+++</c> headers, then one <c>@@ -a,b +c,d @@</c> hunk per group of
    /// changes with <paramref name="context"/> unchanged lines around it, each line marked <c>' '</c>, <c>-</c> or <c>+</c> and
    /// followed by its old and new number. Empty when nothing changed.
    /// </summary>
    public static IReadOnlyList<string> UnifiedDiff(string oldLabel, string newLabel, IReadOnlyList<PolicyDiffLine> lines, int context = DefaultContext)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentOutOfRangeException.ThrowIfNegative(context);
        var changed = new List<int>();
        for (var i = 0; i < lines.Count; i++)
        {
            if (lines[i].Kind != DiffKinds.Same)
            {
                changed.Add(i);
            }
        }

        if (changed.Count == 0)
        {
            return [];
        }

        var width = Math.Max(1, lines.Max(l => Math.Max(l.OldLine ?? 0, l.NewLine ?? 0)).ToString(CultureInfo.InvariantCulture).Length);
        var output = new List<string> { $"--- {oldLabel}", $"+++ {newLabel}" };
        var hunkStart = Math.Max(0, changed[0] - context);
        var hunkEnd = Math.Min(lines.Count - 1, changed[0] + context);
        foreach (var index in changed.Skip(1))
        {
            if (index - context <= hunkEnd + 1)
            {
                hunkEnd = Math.Min(lines.Count - 1, index + context);
                continue;
            }

            AppendHunk(output, lines, hunkStart, hunkEnd, width);
            hunkStart = index - context;
            hunkEnd = Math.Min(lines.Count - 1, index + context);
        }

        AppendHunk(output, lines, hunkStart, hunkEnd, width);
        return output;
    }

    /// <summary>One line of a test report: <c>PASS name</c>, or <c>FAIL name (line N): why</c>.</summary>
    public static string TestLine(string name, bool passed, int? line, string? failure)
    {
        var text = new StringBuilder(passed ? "  PASS  " : "  FAIL  ").Append(Clean(name));
        if (!passed)
        {
            if (line is > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" (line {line})");
            }

            text.Append(": ").Append(Clean(failure ?? "failed"));
        }

        return text.ToString();
    }

    /// <summary>The totals line of a test run: <c>3 passed, 1 failed</c>, and the files that did not check.</summary>
    public static string Summary(int passed, int failed, int filesWithProblems)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{passed} passed, {failed} failed");
        return filesWithProblems == 0 ? text : $"{text}, {CliOutput.Plural(filesWithProblems, "file")} with problems";
    }

    /// <summary>A version in one line: <c>refunds version 3 (sha256:1a2b3c4d5e6f): enforce, 4 rules, 2 tests</c>.</summary>
    public static string VersionLine(PolicyVersion version)
    {
        ArgumentNullException.ThrowIfNull(version);
        return $"{Clean(version.Name)} version {version.Version.ToString(CultureInfo.InvariantCulture)} ({ShortHash(version.Hash)}): " +
            $"{version.Mode}, {CliOutput.Plural(version.Rules, "rule")}, {CliOutput.Plural(version.TestsPassed, "test")} passed";
    }

    /// <summary><c>sha256:</c> and the first 12 hex digits: enough to tell versions apart, short enough for a table.</summary>
    public static string ShortHash(string hash)
    {
        ArgumentNullException.ThrowIfNull(hash);
        const string prefix = "sha256:";
        return hash.StartsWith(prefix, StringComparison.Ordinal) && hash.Length > prefix.Length + 12 ? hash[..(prefix.Length + 12)] : hash;
    }

    /// <summary>Text from a policy or the server, made safe for a terminal (no escape sequences) and cut when very long.</summary>
    public static string Clean(string? text, int max = MaxLineLength) => RunText.Clean(text, max);

    /// <summary>Like <see cref="Clean"/>, but an empty line stays empty (source and diff lines).</summary>
    public static string CleanLine(string text) => text.Length == 0 ? "" : Clean(text);

    private static void AppendHunk(List<string> output, IReadOnlyList<PolicyDiffLine> lines, int start, int end, int width)
    {
        var oldCount = 0;
        var newCount = 0;
        int? oldStart = null;
        int? newStart = null;
        for (var i = start; i <= end; i++)
        {
            if (lines[i].OldLine is { } o)
            {
                oldStart ??= o;
                oldCount++;
            }

            if (lines[i].NewLine is { } n)
            {
                newStart ??= n;
                newCount++;
            }
        }

        // diff -u: an empty side is numbered by the line before it.
        oldStart ??= LineBefore(lines, start, l => l.OldLine);
        newStart ??= LineBefore(lines, start, l => l.NewLine);
        output.Add(string.Create(CultureInfo.InvariantCulture, $"@@ -{oldStart},{oldCount} +{newStart},{newCount} @@"));
        for (var i = start; i <= end; i++)
        {
            var line = lines[i];
            var marker = line.Kind switch
            {
                DiffKinds.Added => '+',
                DiffKinds.Removed => '-',
                _ => ' ',
            };
            var oldNumber = line.OldLine?.ToString(CultureInfo.InvariantCulture) ?? "";
            var newNumber = line.NewLine?.ToString(CultureInfo.InvariantCulture) ?? "";
            output.Add($"{marker} {oldNumber.PadLeft(width)} {newNumber.PadLeft(width)}  {CleanLine(line.Text)}".TrimEnd());
        }
    }

    private static int LineBefore(IReadOnlyList<PolicyDiffLine> lines, int index, Func<PolicyDiffLine, int?> number)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            if (number(lines[i]) is { } n)
            {
                return n;
            }
        }

        return 0;
    }
}
