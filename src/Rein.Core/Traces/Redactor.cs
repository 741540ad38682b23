using System.Buffers;
using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;

namespace Rein.Core.Traces;

/// <summary>What a deployment adds to Rein's built-in secret detectors.</summary>
public sealed class RedactionRules
{
    /// <summary>
    /// Extra secret shapes: kind name → .NET regular expression. A match is replaced by <c>[REDACTED:kind]</c>; when the
    /// pattern has a group named <c>secret</c>, only that group is replaced.
    /// </summary>
    public IReadOnlyDictionary<string, string> Patterns { get; set; } = new Dictionary<string, string>();

    /// <summary>Attribute keys never stored: an exact key, or a prefix ending in <c>*</c> (<c>http.request.header.*</c>).</summary>
    public IReadOnlyList<string> DropAttributes { get; set; } = [];
}

/// <summary>
/// Replaces secrets in text with <c>[REDACTED:kind]</c>. Text without any trigger (a key prefix, <c>Bearer</c>,
/// <c>://</c>, a long run of digits…) is returned as is after one vectorised scan, so clean chat messages cost little
/// and allocate nothing. Safe to share between threads.
/// </summary>
public sealed partial class Redactor
{
    /// <summary>What a value becomes when a pattern ran out of time: the whole value, since part of it may be secret.</summary>
    public const string TimeoutReplacement = "[REDACTED:timeout]";

    // Configured patterns only: the built-in ones bound every quantifier, so their time is linear in the text's
    // length, and a timeout would only turn a long clean text into [REDACTED:timeout] on a busy machine.
    private const int TimeoutMilliseconds = 100;

    // Shorter texts hold no secret any detector knows ("pwd=abc" is the shortest pair worth replacing).
    private const int MinLength = 7;

    // A secret key id is followed by its secret within this many characters in config files, env dumps and JSON.
    private const int AwsSecretWindow = 200;

    // Index of url_password in BuiltIn; it has no entry in the shared trigger search.
    private const int UrlDetector = 1;

    private static readonly Detector[] BuiltIn =
    [
        new("private_key", PrivateKey(), ["-----BEGIN"]),
        new("url_password", UrlPassword(), []),
        new("bearer", BearerToken(), ["Bearer", "bearer", "BEARER"]),
        new("anthropic_key", AnthropicKey(), ["sk-ant-", "SK-ANT-"]),
        new("openai_key", OpenAiKey(), ["sk-", "SK-"]),
        new("github_token", GitHubToken(), ["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "GHP_", "GHO_", "GHU_", "GHS_", "GHR_", "GITHUB_PAT_"]),
        new("slack_token", SlackToken(), ["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-", "XOXB-", "XOXA-", "XOXP-", "XOXR-", "XOXS-"]),
        new("stripe_key", StripeKey(), ["sk_live_", "rk_live_", "SK_LIVE_", "RK_LIVE_"]),
        new("google_api_key", GoogleApiKey(), ["AIza", "aiza", "AIZA"]),
        new("aws_access_key", AwsAccessKey(), ["AKIA", "ASIA", "akia", "asia"]),
        new("aws_secret_key", AwsSecretKey(), ["secret_access", "SECRET_ACCESS", "secretaccess", "SecretAccess", "secretAccess", "secret_key", "SECRET_KEY", "secretkey", "SecretKey", "secretKey"]),
        new("jwt", Jwt(), ["eyJ"]),
        new("rein_key", ReinKey(), ["rein_", "REIN_"]),
    ];

    // Triggers are matched case-sensitively, listing the spellings that occur (as written, lower and upper case): a
    // case-insensitive multi-string search measured several times slower on clean text. "://" is left out of the
    // shared search because URLs are common in clean text and would stop the scan at every one; the URL detector has
    // its own check.
    private static readonly SearchValues<string> AnyTrigger =
        SearchValues.Create(BuiltIn.SelectMany(d => d.Triggers).Distinct(StringComparer.Ordinal).ToArray(), StringComparison.Ordinal);

    private static readonly SearchValues<char> AwsSecretChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+");

    private readonly Detector[] _configured;
    private readonly FrozenSet<string> _dropExact;
    private readonly string[] _dropPrefixes;

    /// <summary>Compiles the configured patterns; throws <see cref="ArgumentException"/> naming a pattern that does not compile.</summary>
    public Redactor(RedactionRules rules)
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
    public static Redactor Default { get; } = new(new RedactionRules());

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
    /// <remarks>
    /// Detection runs on the text as a reader would take it: percent-escapes and JSON <c>\u</c> escapes decoded once,
    /// full-width and other compatibility forms folded to ASCII, invisible characters removed, and base64 runs of at
    /// least <see cref="MinBase64Run"/> characters decoded (at most <see cref="MaxBase64Chars"/> characters per run and
    /// <see cref="MaxBase64CharsPerText"/> per text, one level deep). Each step is one linear pass, and each detector
    /// reads a bounded number of characters from each place it starts, so the cost is linear in the text's length.
    /// </remarks>
    public string Redact(string text, ref int count)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Redact(text, ref count, nested: false);
    }

    private string Redact(string text, ref int count, bool nested)
    {
        if (text.Length < MinLength)
        {
            return text;
        }

        List<Hit>? hits;
        try
        {
            hits = Detect(text, nested);
        }
        catch (RegexMatchTimeoutException)
        {
            count++;
            return TimeoutReplacement;
        }

        return hits is null ? text : Replace(text, hits, ref count);
    }

    /// <summary>Where the secrets are, in <paramref name="text"/>'s own positions, or null.</summary>
    private List<Hit>? Detect(string text, bool nested)
    {
        List<Hit>? hits = null;
        var folded = Fold(text);
        Find(folded?.Text ?? text, nested, ref hits);
        if (hits is not null && folded is { } f)
        {
            for (var i = 0; i < hits.Count; i++)
            {
                var h = hits[i];
                var start = f.Map[h.Start];
                hits[i] = h with { Start = start, Length = f.Map[h.Start + h.Length] - start };
            }
        }

        return hits;
    }

    private void Find(string text, bool nested, ref List<Hit>? hits)
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

        FindFields(span, BuiltIn.Length + 1, ref hits);
        FindCardNumbers(span, BuiltIn.Length + 2, ref hits);
        if (!nested)
        {
            FindBase64(text, BuiltIn.Length + 3, ref hits);
        }

        for (var i = 0; i < _configured.Length; i++)
        {
            Collect(_configured[i], BuiltIn.Length + 4 + i, text, ref hits);
        }
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

    // Every quantifier is bounded, so a detector reads at most a few hundred characters from each place it starts:
    // with starts only at its trigger, the time stays linear whatever the text (a text of nothing but "sk-" included).

    // RFC 6750 b64token; at least one digit and 12 characters, so "Bearer authentication" in prose is left alone.
    [GeneratedRegex(@"\b(?i:bearer)\s{1,8}(?<secret>(?=(?>[A-Za-z._~+/-]{0,256})[0-9])(?>[A-Za-z0-9._~+/-]{12,4096})=*)", RegexOptions.CultureInvariant)]
    private static partial Regex BearerToken();

    // A bare "sk-" needs a word start ("risk-2024-…" is prose); the project, service-account and admin forms are
    // distinctive enough to be found glued to a word ("keysk-proj-…").
    [GeneratedRegex(@"(?:\b|(?=(?i:sk-(?:proj|svcacct|admin)-)))(?i:sk-)(?!(?i:ant-))(?=(?>[A-Za-z_-]{0,256})[0-9])[A-Za-z0-9_-]{20,512}", RegexOptions.CultureInvariant)]
    private static partial Regex OpenAiKey();

    [GeneratedRegex(@"(?i:sk-ant-)[A-Za-z0-9_-]{20,512}", RegexOptions.CultureInvariant)]
    private static partial Regex AnthropicKey();

    [GeneratedRegex(@"(?i:gh[pousr]_)(?>[A-Za-z0-9]{36,255})|(?i:github_pat_)(?>[A-Za-z0-9_]{22,255})", RegexOptions.CultureInvariant)]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"(?i:xox[baprs]-)(?=(?>[A-Za-z-]{0,64})[0-9])[A-Za-z0-9-]{10,255}", RegexOptions.CultureInvariant)]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"(?:\b(?i:[sr]k_live_)|(?i:[sr]k_live_)(?=(?>[A-Za-z]{0,64})[0-9]))[A-Za-z0-9]{16,255}", RegexOptions.CultureInvariant)]
    private static partial Regex StripeKey();

    [GeneratedRegex(@"(?:\bAIza|(?i:aiza)(?=(?>[A-Za-z_-]{0,34})[0-9]))[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", RegexOptions.CultureInvariant)]
    private static partial Regex GoogleApiKey();

    // As issued (upper case) a key id is found anywhere, glued to a word too; in another case it needs a word start
    // and a digit, so that words such as "asiapacificregions" are left alone.
    [GeneratedRegex(@"(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Za-z0-9])|\b(?i:akia|asia)(?=(?>[A-Za-z]{0,15})[0-9])[A-Za-z0-9]{16}(?![A-Za-z0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex AwsAccessKey();

    [GeneratedRegex(@"(?i:aws_?secret_?(?:access_?)?key|secret_?access_?key)[""']?\s{0,8}(?:=>|[:=])\s{0,8}[""']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])", RegexOptions.CultureInvariant)]
    private static partial Regex AwsSecretKey();

    // A key cut off before its END line (a truncated log line) is redacted to the end of the text.
    [GeneratedRegex(@"-----BEGIN[A-Z0-9 ]{0,64}PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z0-9 ]{0,64}PRIVATE KEY-----|[\s\S]*)", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKey();

    // RFC 7519: base64url(header).base64url(payload).signature; a JSON header always encodes to "eyJ". Glued to a word,
    // the header must begin with "alg", "typ" or "kid" ("monkeyJumped.over.it" is prose).
    [GeneratedRegex(@"(?:\beyJ|eyJ(?=hbGci|0eXAi|raWQi))(?>[A-Za-z0-9_-]{10,1024})\.(?>[A-Za-z0-9_-]{10,8192})\.[A-Za-z0-9_-]{0,1024}", RegexOptions.CultureInvariant)]
    private static partial Regex Jwt();

    // RFC 3986 userinfo: only the password is replaced so the user and host stay readable. The pattern starts at the
    // "://" literal, which the regex engine finds with a vectorised search; starting at the scheme made it try every
    // word in the text (80 µs on 4 KB of prose).
    [GeneratedRegex(@"://[^\s:/?#@""'<>\\]{1,256}:(?<secret>[^\s/?#@""'<>\\]{1,256})@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlPassword();

    [GeneratedRegex(@"(?i:rein_[a-z0-9]{12}_)[A-Za-z0-9]{40}(?![A-Za-z0-9])", RegexOptions.CultureInvariant)]
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
