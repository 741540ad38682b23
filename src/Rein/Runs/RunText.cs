using System.Globalization;
using System.Text;
using Rein.Client;

namespace Rein.Cli.Runs;

/// <summary>How runs and spans read on a terminal. Everything an agent reported passes through <see cref="Clean"/>:
/// a span name is the agent's text, and must not be able to move the cursor or recolour the terminal.</summary>
public static class RunText
{
    /// <summary>Longer names are cut: a tree line should fit a screen, and <c>--output json</c> has them whole.</summary>
    public const int MaxNameLength = 120;

    public static string Duration(double milliseconds) => milliseconds switch
    {
        < 1 => milliseconds <= 0 ? "0ms" : "<1ms",
        < 1000 => milliseconds.ToString("0", CultureInfo.InvariantCulture) + "ms",
        < 60_000 => (milliseconds / 1000).ToString("0.00", CultureInfo.InvariantCulture) + "s",
        < 3_600_000 => $"{(int)(milliseconds / 60_000)}m{(int)(milliseconds % 60_000 / 1000):00}s",
        _ => $"{(int)(milliseconds / 3_600_000)}h{(int)(milliseconds % 3_600_000 / 60_000):00}m",
    };

    /// <summary>US dollars, with as many decimals as a single cheap call needs; <c>?</c> when unknown.</summary>
    public static string Cost(decimal? cost) =>
        cost is { } c ? "$" + c.ToString(c >= 1 ? "0.00" : "0.######", CultureInfo.InvariantCulture) : "?";

    public static string Tokens(long input, long output) =>
        input.ToString(CultureInfo.InvariantCulture) + "/" + output.ToString(CultureInfo.InvariantCulture);

    /// <summary>Control characters (newlines, escape sequences) become visible escapes; long text is cut.</summary>
    public static string Clean(string? text, int max = MaxNameLength)
    {
        if (string.IsNullOrEmpty(text))
        {
            return "-";
        }

        var builder = new StringBuilder(Math.Min(text.Length, max + 3));
        foreach (var c in text)
        {
            if (builder.Length >= max)
            {
                builder.Append("...");
                break;
            }

            if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\u202e' or '\u202d')
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>One line per run for <c>rein runs tail</c>: the list's columns, without a table's alignment to wait for.</summary>
    public static string TailLine(Run run)
    {
        ArgumentNullException.ThrowIfNull(run);
        string[] parts =
        [
            CliOutput.Time(run.StartedAt),
            run.Id,
            run.Status.PadRight(9),
            Clean(run.Agent, 40),
            Duration(run.DurationMs),
            CliOutput.Plural(run.Steps, "step"),
            Tokens(run.Tokens.Input, run.Tokens.Output) + " tokens",
            Cost(run.Cost),
            run.Errors > 0 ? CliOutput.Plural(run.Errors, "error") : "",
            run.Violations > 0 ? CliOutput.Plural(run.Violations, "violation") : "",
        ];
        return string.Join("  ", parts.Where(p => p.Length > 0));
    }
}
