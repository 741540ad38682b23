using System.Text;
using System.Text.RegularExpressions;
using Rein.Core.Traces;

namespace Rein.Core.Gateway;

/// <summary>What kind of instruction-like text a finding is.</summary>
public static class InjectionKinds
{
    /// <summary>Chat-format role markers (<c>system:</c> at a line start, <c>&lt;|im_start|&gt;</c>, <c>[INST]</c>, ...).</summary>
    public const string RoleMarker = "role_marker";

    /// <summary>Text telling the model to drop its instructions ("ignore previous instructions", "you are now").</summary>
    public const string Override = "override";

    /// <summary>Text a person would not see: zero-width, bidi-control and tag characters, hidden HTML.</summary>
    public const string HiddenText = "hidden_text";

    /// <summary>Tool-call syntax a model might follow (<c>&lt;tool_call&gt;</c>, function-call JSON).</summary>
    public const string ToolCallSyntax = "tool_call_syntax";

    /// <summary>Links that could carry data out: images to outside hosts, long query values, known capture sinks.</summary>
    public const string ExfiltrationLink = "exfiltration_link";

    public static IReadOnlyList<string> All { get; } = [RoleMarker, Override, HiddenText, ToolCallSyntax, ExfiltrationLink];
}

/// <summary>One place in the text that looks like it is aimed at the model.</summary>
/// <param name="Kind">One of <see cref="InjectionKinds.All"/>.</param>
/// <param name="Offset">Where it starts, in characters.</param>
/// <param name="Excerpt">The match, at most <see cref="InjectionScanner.MaxExcerptLength"/> characters, hidden
/// characters written as <c>\uXXXX</c> and secrets redacted, so it can be stored and shown.</param>
public sealed record InjectionFinding(string Kind, int Offset, string Excerpt);

/// <summary>The scan of one text: a score from 0 (nothing) to 1, whether it is flagged, and what was found.</summary>
/// <param name="Score">1 − Π(1 − weight) over the kinds found, each kind once.</param>
/// <param name="Flagged">Score at or above the scanner's threshold.</param>
/// <param name="Findings">At most <see cref="InjectionScanner.MaxFindings"/>, in text order.</param>
/// <param name="Truncated">The text was longer than the scanner reads; only its start was scanned.</param>
public sealed record InjectionReport(double Score, bool Flagged, IReadOnlyList<InjectionFinding> Findings, bool Truncated)
{
    public static InjectionReport None { get; } = new(0, false, [], false);

    /// <summary>The kinds found, each once, in <see cref="InjectionKinds.All"/> order.</summary>
    public IReadOnlyList<string> Kinds => [.. InjectionKinds.All.Where(k => Findings.Any(f => f.Kind == k))];
}

/// <summary>
/// Heuristics for prompt injection in what tools return: text that looks like instructions aimed at the model rather
/// than data for it. A score, not a verdict: a document about chat formats has role markers, and that alone does not
/// flag it; an override phrase does, and so do two weaker signs together. Every pattern runs on .NET's
/// non-backtracking engine, so a scan is linear in the text, which is read up to <see cref="MaxScanChars"/>.
/// </summary>
public sealed partial class InjectionScanner
{
    /// <summary>The most characters of one text read by default (1 Mi): a bigger result is scanned by its start.</summary>
    public const int MaxScanChars = 1 << 20;

    public const double DefaultThreshold = 0.5;

    /// <summary>Findings kept per scan; further matches still count toward the score by kind.</summary>
    public const int MaxFindings = 20;

    public const int MaxExcerptLength = 80;

    private static readonly (string Kind, double Weight, Regex Pattern)[] Rules =
    [
        (InjectionKinds.Override, 0.6, OverridePattern()),
        (InjectionKinds.RoleMarker, 0.35, RoleMarkerPattern()),
        (InjectionKinds.HiddenText, 0.4, HiddenTextPattern()),
        (InjectionKinds.ToolCallSyntax, 0.4, ToolCallPattern()),
        (InjectionKinds.ExfiltrationLink, 0.4, ExfiltrationPattern()),
    ];

    private readonly Redactor _redactor;

    /// <param name="threshold">The score that flags a text: above 0, at most 1.</param>
    /// <param name="maxChars">The most characters read of one text: 1 to <see cref="MaxScanChars"/> × 16.</param>
    /// <param name="redactor">Redacts secrets in excerpts; <see cref="Redactor.Default"/> when null.</param>
    public InjectionScanner(double threshold = DefaultThreshold, int maxChars = MaxScanChars, Redactor? redactor = null)
    {
        if (!(threshold > 0 && threshold <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "the threshold is above 0 and at most 1");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxChars, MaxScanChars * 16);
        Threshold = threshold;
        MaxChars = maxChars;
        _redactor = redactor ?? Redactor.Default;
    }

    public static InjectionScanner Default { get; } = new();

    public double Threshold { get; }

    public int MaxChars { get; }

    /// <summary>The weight of each kind in the score.</summary>
    public static double WeightOf(string kind) => Rules.First(r => r.Kind == kind).Weight;

    public InjectionReport Scan(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return InjectionReport.None;
        }

        var truncated = text.Length > MaxChars;
        var scanned = truncated ? text[..CutAt(text, MaxChars)] : text;
        var findings = new List<InjectionFinding>();
        var remaining = 1.0;
        foreach (var (kind, weight, pattern) in Rules)
        {
            var found = false;
            foreach (var match in pattern.EnumerateMatches(scanned))
            {
                found = true;
                if (findings.Count >= MaxFindings)
                {
                    break;
                }

                findings.Add(new InjectionFinding(kind, match.Index, Excerpt(scanned.AsSpan(match.Index, match.Length))));
            }

            if (found)
            {
                remaining *= 1 - weight;
            }
        }

        findings.Sort(static (a, b) => a.Offset.CompareTo(b.Offset));
        var score = Math.Round(1 - remaining, 4);
        return new InjectionReport(score, score >= Threshold, findings, truncated);
    }

    /// <summary>Combines the reports of several texts of one result: kinds found anywhere, findings up to the bound.</summary>
    public InjectionReport Combine(IEnumerable<InjectionReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var all = reports.ToList();
        var findings = all.SelectMany(r => r.Findings).Take(MaxFindings).ToList();
        var kinds = all.SelectMany(r => r.Kinds).Distinct().ToList();
        var remaining = kinds.Aggregate(1.0, (left, kind) => left * (1 - WeightOf(kind)));
        var score = Math.Round(1 - remaining, 4);
        return new InjectionReport(score, score >= Threshold, findings, all.Any(r => r.Truncated));
    }

    private string Excerpt(ReadOnlySpan<char> match)
    {
        var builder = new StringBuilder(Math.Min(match.Length, MaxExcerptLength));
        foreach (var c in match)
        {
            if (builder.Length >= MaxExcerptLength)
            {
                break;
            }

            if (char.IsControl(c) || IsInvisible(c))
            {
                builder.Append(@"\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        var text = builder.Length > MaxExcerptLength ? builder.ToString(0, MaxExcerptLength) : builder.ToString();
        var count = 0;
        return _redactor.Redact(text, ref count);
    }

    private static bool IsInvisible(char c) =>
        c is (>= '\u200B' and <= '\u200F') or (>= '\u202A' and <= '\u202E') or (>= '\u2060' and <= '\u2069') or '\uFEFF' || char.IsSurrogate(c);

    /// <summary>Never cuts a surrogate pair in two.</summary>
    private static int CutAt(string text, int length) => char.IsHighSurrogate(text[length - 1]) ? length - 1 : length;

    [GeneratedRegex(
        @"\b(ignore|disregard|forget|override|bypass)\s+(all\s+|any\s+|the\s+|your\s+|of\s+)*(previous|prior|above|earlier|preceding|system|original)\s+(instructions?|prompts?|messages?|rules|directions|context)\b" +
        @"|\byou\s+are\s+now\s+(a|an|in|the)\b" +
        @"|\bnew\s+(system\s+)?instructions\s*:" +
        @"|\bdo\s+not\s+(tell|inform|alert|mention\s+this\s+to)\s+the\s+user\b",
        RegexOptions.IgnoreCase | RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex OverridePattern();

    [GeneratedRegex(
        @"(^|\n)[ \t]*(system|assistant|developer)[ \t]*:" +
        @"|<\|(im_start|im_end|system|assistant|user|endoftext)\|>" +
        @"|\[/?INST\]|<</?SYS>>" +
        @"|(^|\n)#{2,}[ \t]*(system|instructions?)\b" +
        @"|</?system>",
        RegexOptions.IgnoreCase | RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex RoleMarkerPattern();

    [GeneratedRegex(
        @"[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]+" +
        @"|(\uDB40[\uDC00-\uDC7F])+" +
        @"|<!--[^>]*[A-Za-z]{3}[^>]*-->" +
        @"|display[ \t]*:[ \t]*none|font-size[ \t]*:[ \t]*0(px|pt|em)?\b|visibility[ \t]*:[ \t]*hidden",
        RegexOptions.IgnoreCase | RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex HiddenTextPattern();

    [GeneratedRegex(
        @"</?(tool_call|function_call|tool_use|invoke)\b" +
        @"|""(tool_calls|function_call)""[ \t]*:" +
        @"|\{[ \t\r\n]*""name""[ \t]*:[ \t]*""[^""]+""[ \t]*,[ \t\r\n]*""(arguments|parameters|input)""[ \t]*:",
        RegexOptions.IgnoreCase | RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex ToolCallPattern();

    [GeneratedRegex(
        @"!\[[^\]\n]*\]\([ \t]*https?://[^)\s]+\)" +
        @"|https?://[^\s""'<>]*[?&][A-Za-z0-9_.-]+=[A-Za-z0-9%+/=_.-]{32,}" +
        @"|https?://([a-z0-9-]+\.)*(webhook\.site|requestbin\.(com|net)|pipedream\.net|ngrok(-free)?\.(io|app|dev)|pastebin\.com|interact\.sh|oast\.(fun|me|pro|live|site|online)|burpcollaborator\.net|beeceptor\.com)\b",
        RegexOptions.IgnoreCase | RegexOptions.NonBacktracking | RegexOptions.CultureInvariant)]
    private static partial Regex ExfiltrationPattern();
}
