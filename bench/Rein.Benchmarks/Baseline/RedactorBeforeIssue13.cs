using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;

using Rein.Core.Traces;

namespace Rein.Benchmarks.Baseline;

/// <summary>
/// The redactor as it was before issue 13 (commit 59be920), kept unchanged so that one benchmark run measures it beside
/// today's <see cref="Redactor"/>. Replaces secrets in text with <c>[REDACTED:kind]</c>. Text without any trigger (a key prefix, <c>Bearer</c>,
/// <c>://</c>, a long run of digits…) is returned as is after one vectorised scan, so clean chat messages cost little
/// and allocate nothing. Safe to share between threads.
/// </summary>
public sealed partial class RedactorBeforeIssue13
{
    /// <summary>What a value becomes when a pattern ran out of time: the whole value, since part of it may be secret.</summary>
    public const string TimeoutReplacement = "[REDACTED:timeout]";

    private const int TimeoutMilliseconds = 100;

    // A secret key id is followed by its secret within this many characters in config files, env dumps and JSON.
    private const int AwsSecretWindow = 200;

    // Index of url_password in BuiltIn; it has no entry in the shared trigger search.
    private const int UrlDetector = 1;

    private static readonly Detector[] BuiltIn =
    [
        new("private_key", PrivateKey(), ["-----BEGIN"]),
        new("url_password", UrlPassword(), []),
        new("bearer", BearerToken(), ["Bearer", "bearer", "BEARER"]),
        new("anthropic_key", AnthropicKey(), ["sk-ant-"]),
        new("openai_key", OpenAiKey(), ["sk-"]),
        new("github_token", GitHubToken(), ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"]),
        new("slack_token", SlackToken(), ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"]),
        new("stripe_key", StripeKey(), ["sk_live_", "rk_live_"]),
        new("google_api_key", GoogleApiKey(), ["AIza"]),
        new("aws_access_key", AwsAccessKey(), ["AKIA", "ASIA"]),
        new("aws_secret_key", AwsSecretKey(), ["secret_access", "SECRET_ACCESS", "secretaccess", "SecretAccess", "secretAccess", "secret_key", "SECRET_KEY", "secretkey", "SecretKey", "secretKey"]),
        new("jwt", Jwt(), ["eyJ"]),
        new("rein_key", ReinKey(), ["rein_"]),
    ];

    // Triggers are matched case-sensitively, listing the spellings that occur: a case-insensitive multi-string search
    // measured several times slower on clean text. "://" is left out of the shared search because URLs are common in
    // clean text and would stop the scan at every one; the URL detector has its own check.
    private static readonly SearchValues<string> AnyTrigger =
        SearchValues.Create(BuiltIn.SelectMany(d => d.Triggers).Distinct(StringComparer.Ordinal).ToArray(), StringComparison.Ordinal);

    private static readonly SearchValues<char> AwsSecretChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+");

    private readonly Detector[] _configured;
    private readonly FrozenSet<string> _dropExact;
    private readonly string[] _dropPrefixes;

    /// <summary>Compiles the configured patterns; throws <see cref="ArgumentException"/> naming a pattern that does not compile.</summary>
    public RedactorBeforeIssue13(RedactionRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var configured = new List<Detector>();
        foreach (var (kind, pattern) in rules.Patterns)
        {
            if (string.IsNullOrWhiteSpace(kind))
            {
                throw new ArgumentException("A redaction pattern has an empty name.", nameof(rules));
            }

            try
            {
                var regex = new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(TimeoutMilliseconds));
                configured.Add(new Detector(kind, regex, []));
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"Redaction pattern '{kind}' is not a valid regular expression: {e.Message}", nameof(rules), e);
            }
        }

        _configured = [.. configured];
        var exact = new List<string>();
        var prefixes = new List<string>();
        foreach (var key in rules.DropAttributes)
        {
            if (string.IsNullOrEmpty(key))
            {
                continue;
            }

            if (key.EndsWith('*'))
            {
                prefixes.Add(key[..^1]);
            }
            else
            {
                exact.Add(key);
            }
        }

        _dropExact = exact.ToFrozenSet(StringComparer.Ordinal);
        _dropPrefixes = [.. prefixes];
    }

    /// <summary>A redactor with the built-in detectors only and nothing dropped.</summary>
    public static RedactorBeforeIssue13 Default { get; } = new(new RedactionRules());

    /// <summary>True when configuration says an attribute with this key is never stored.</summary>
    public bool ShouldDrop(string attributeKey)
    {
        ArgumentNullException.ThrowIfNull(attributeKey);
        if (_dropExact.Count > 0 && _dropExact.Contains(attributeKey))
        {
            return true;
        }

        foreach (var prefix in _dropPrefixes)
        {
            if (attributeKey.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The text with every secret replaced by <c>[REDACTED:kind]</c>, adding the number replaced to
    /// <paramref name="count"/>. Returns the same instance when nothing was found. When a pattern runs out of time the
    /// whole text becomes <see cref="TimeoutReplacement"/> (counted once): failing closed.
    /// </summary>
    public string Redact(string text, ref int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length < 8)
        {
            return text;
        }

        List<Hit>? hits = null;
        try
        {
            var span = text.AsSpan();
            var triggered = Triggered(span);
            for (var i = 0; triggered != 0 && i < BuiltIn.Length; i++)
            {
                if ((triggered & (1 << i)) != 0)
                {
                    Collect(BuiltIn[i], i, text, ref hits);
                }
            }

            if (hits is not null)
            {
                FindAwsSecretsNearKeyIds(text, ref hits);
            }

            FindCardNumbers(span, BuiltIn.Length + 1, ref hits);
            for (var i = 0; i < _configured.Length; i++)
            {
                Collect(_configured[i], BuiltIn.Length + 2 + i, text, ref hits);
            }
        }
        catch (RegexMatchTimeoutException)
        {
            count++;
            return TimeoutReplacement;
        }

        return hits is null ? text : Replace(text, hits, ref count);
    }

    // One pass over the text marks the detectors whose trigger occurs (bit i for BuiltIn[i]); only those run.
    private static int Triggered(ReadOnlySpan<char> span)
    {
        var triggered = 0;
        var from = 0;
        while (from < span.Length)
        {
            var at = span[from..].IndexOfAny(AnyTrigger);
            if (at < 0)
            {
                break;
            }

            at += from;
            var rest = span[at..];
            for (var i = 0; i < BuiltIn.Length; i++)
            {
                if ((triggered & (1 << i)) == 0 && BuiltIn[i].StartsAt(rest))
                {
                    triggered |= 1 << i;
                }
            }

            from = at + 1;
        }

        // A password in a URL needs both the scheme separator and the '@' before the host.
        if (span.IndexOf("://", StringComparison.Ordinal) >= 0 && span.Contains('@'))
        {
            triggered |= 1 << UrlDetector;
        }

        return triggered;
    }

    private static void Collect(Detector detector, int priority, string text, ref List<Hit>? hits)
    {
        for (var m = detector.Regex.Match(text); m.Success; m = m.NextMatch())
        {
            var secret = m.Groups["secret"];
            var (start, length) = secret.Success ? (secret.Index, secret.Length) : (m.Index, m.Length);
            if (length > 0)
            {
                (hits ??= []).Add(new Hit(start, length, detector.Kind, priority));
            }
        }
    }

    // aws_secret_key also covers a bare 40-character secret printed shortly after an access key id (credential files
    // and CSV exports put them side by side without naming the secret).
    private static void FindAwsSecretsNearKeyIds(string text, ref List<Hit> hits)
    {
        var count = hits.Count;
        for (var h = 0; h < count; h++)
        {
            if (hits[h].Kind != "aws_access_key")
            {
                continue;
            }

            var from = hits[h].Start + hits[h].Length;
            var window = text.AsSpan(from, Math.Min(AwsSecretWindow, text.Length - from));
            var i = 0;
            while (i < window.Length)
            {
                var start = window[i..].IndexOfAny(AwsSecretChars);
                if (start < 0)
                {
                    break;
                }

                start += i;
                var run = window[start..].IndexOfAnyExcept(AwsSecretChars);
                var length = run < 0 ? window.Length - start : run;
                var end = start + length;
                var ownRun = start == 0 || window[start - 1] != '=';
                if (length == 40 && ownRun && LooksRandom(window.Slice(start, length)) && (end == window.Length || window[end] != '='))
                {
                    hits.Add(new Hit(from + start, length, "aws_secret_key", BuiltIn.Length));
                    break;
                }

                i = end;
            }
        }
    }

    // A hex digest (a git SHA is 40 characters too) has one letter case; a secret key has both.
    private static bool LooksRandom(ReadOnlySpan<char> s) =>
        s.IndexOfAnyInRange('A', 'Z') >= 0 && s.IndexOfAnyInRange('a', 'z') >= 0;

    // Card numbers: a run of 13 to 19 digits, unbroken or grouped by one kind of separator (space or dash) into groups
    // of 3 to 6 digits, that passes the Luhn check (ISO/IEC 7812). Runs inside words or decimals are not cards.
    private static void FindCardNumbers(ReadOnlySpan<char> s, int priority, ref List<Hit>? hits)
    {
        var i = 0;
        while (i < s.Length)
        {
            var next = s[i..].IndexOfAnyInRange('0', '9');
            if (next < 0)
            {
                return;
            }

            var start = i + next;
            var j = start;
            var digits = 0;
            var group = 0;
            var separator = '\0';
            var groupsOk = true;
            while (j < s.Length)
            {
                var c = s[j];
                if (char.IsAsciiDigit(c))
                {
                    digits++;
                    group++;
                    j++;
                }
                else if ((c == ' ' || c == '-') && j + 1 < s.Length && char.IsAsciiDigit(s[j + 1]) && (separator == '\0' || separator == c))
                {
                    separator = c;
                    groupsOk &= group is >= 3 and <= 6;
                    group = 0;
                    j++;
                }
                else
                {
                    break;
                }
            }

            if (separator != '\0')
            {
                groupsOk &= group is >= 3 and <= 6;
            }

            i = j;
            if (digits is < 13 or > 19 || !groupsOk)
            {
                continue;
            }

            if (start > 0 && (char.IsAsciiLetterOrDigit(s[start - 1]) || s[start - 1] is '_' or '.'))
            {
                continue;
            }

            if (j < s.Length && (char.IsAsciiLetterOrDigit(s[j]) || s[j] == '_' || (s[j] == '.' && j + 1 < s.Length && char.IsAsciiDigit(s[j + 1]))))
            {
                continue;
            }

            // A run of one repeated digit (zero padding, placeholders) passes Luhn when it is all zeros but is no card.
            var run = s[start..j];
            if (run.IndexOfAnyExcept(run[0], separator) >= 0 && PassesLuhn(run))
            {
                (hits ??= []).Add(new Hit(start, j - start, "card_number", priority));
            }
        }
    }

    internal static bool PassesLuhn(ReadOnlySpan<char> number)
    {
        var sum = 0;
        var doubled = false;
        for (var i = number.Length - 1; i >= 0; i--)
        {
            if (!char.IsAsciiDigit(number[i]))
            {
                continue;
            }

            var d = number[i] - '0';
            if (doubled)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubled = !doubled;
        }

        return sum % 10 == 0;
    }

    private static string Replace(string text, List<Hit> hits, ref int count)
    {
        // Where detectors overlap (a JWT after "Bearer", an OpenAI-shaped key as a URL password) the earliest match
        // wins, then the detector listed first; the overlapped one is not counted.
        hits.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : a.Priority != b.Priority ? a.Priority.CompareTo(b.Priority) : b.Length.CompareTo(a.Length));
        var builder = new StringBuilder(text.Length);
        var position = 0;
        foreach (var hit in hits)
        {
            if (hit.Start < position)
            {
                continue;
            }

            builder.Append(text, position, hit.Start - position).Append("[REDACTED:").Append(hit.Kind).Append(']');
            position = hit.Start + hit.Length;
            count++;
        }

        builder.Append(text, position, text.Length - position);
        return builder.ToString();
    }

    // RFC 6750 b64token; at least one digit and 12 characters, so "Bearer authentication" in prose is left alone.
    [GeneratedRegex(@"\b(?i:bearer)\s+(?<secret>(?=[A-Za-z0-9._~+/-]*[0-9])[A-Za-z0-9._~+/-]{12,}=*)", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex BearerToken();

    [GeneratedRegex(@"\bsk-(?!ant-)(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{20,}", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex OpenAiKey();

    [GeneratedRegex(@"\bsk-ant-[A-Za-z0-9_-]{20,}", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex AnthropicKey();

    [GeneratedRegex(@"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\bxox[baprs]-[A-Za-z0-9-]{10,}", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"\b[sr]k_live_[A-Za-z0-9]{16,}", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex StripeKey();

    [GeneratedRegex(@"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex GoogleApiKey();

    [GeneratedRegex(@"\b(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex AwsAccessKey();

    [GeneratedRegex(@"(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[""']?\s*(?:=>|[:=])\s*[""']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex AwsSecretKey();

    // A key cut off before its END line (a truncated log line) is redacted to the end of the text.
    [GeneratedRegex(@"-----BEGIN[A-Z0-9 ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]*PRIVATE KEY-----|[\s\S]*)", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex PrivateKey();

    // RFC 7519: base64url(header).base64url(payload).signature; a JSON header always encodes to "eyJ".
    [GeneratedRegex(@"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex Jwt();

    // RFC 3986 userinfo: only the password is replaced so the user and host stay readable. The pattern starts at the
    // "://" literal, which the regex engine finds with a vectorised search; starting at the scheme made it try every
    // word in the text (80 µs on 4 KB of prose).
    [GeneratedRegex(@"://[^\s:/?#@""'<>\\]+:(?<secret>[^\s/?#@""'<>\\]+)@", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"\brein_[a-z0-9]{12}_[A-Za-z0-9]{40}(?![A-Za-z0-9])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex ReinKey();

    private readonly record struct Hit(int Start, int Length, string Kind, int Priority);

    private sealed class Detector(string kind, Regex regex, string[] triggers)
    {
        public string Kind { get; } = kind;

        public Regex Regex { get; } = regex;

        public string[] Triggers { get; } = triggers;

        public bool StartsAt(ReadOnlySpan<char> text)
        {
            foreach (var trigger in Triggers)
            {
                if (text.StartsWith(trigger, StringComparison.Ordinal))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
