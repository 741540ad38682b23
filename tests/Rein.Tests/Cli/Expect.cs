using System.Text.RegularExpressions;
using Rein.Testing;

namespace Rein.Cli.Tests.Cli;

/// <summary>Assertions on what a run of rein left behind; the whole output is in the failure message.</summary>
public static partial class Expect
{
    public static void Exit(int expected, ProcessResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Assert.True(result.ExitCode == expected, $"expected exit {expected}.\n{result}");
    }

    /// <summary>A failure is one readable line on stderr: no exception names, no stack frames.</summary>
    public static string OneErrorLine(ProcessResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var lines = result.StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr.\n{result}");
        Assert.StartsWith("rein: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), result.StdErr);
        return lines[0];
    }

    public static string KeyValue(string text) => KeyPattern().Match(text) is { Success: true } m
        ? m.Value
        : throw new Xunit.Sdk.XunitException($"no API key in:\n{text}");

    [GeneratedRegex(@"^\s+at \S+", RegexOptions.Multiline)]
    private static partial Regex StackFrame();

    [GeneratedRegex("rein_[a-z0-9]{12}_[A-Za-z0-9]{40}")]
    private static partial Regex KeyPattern();
}
