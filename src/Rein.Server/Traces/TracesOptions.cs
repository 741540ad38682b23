using System.Text.RegularExpressions;

namespace Rein.Server.Traces;

/// <summary>A model's price in configuration (section <c>Traces:Prices:&lt;model&gt;</c>), US dollars per million tokens.</summary>
public sealed class PriceSetting
{
    public decimal? Input { get; set; }

    public decimal? Output { get; set; }

    /// <summary>Input tokens read from the provider's prompt cache; the input price when not set.</summary>
    public decimal? CachedInput { get; set; }
}

/// <summary>Ingest limits, the writer's queue, retention, prices and redaction (section <c>Traces</c>).</summary>
public sealed class TracesOptions : IReinSettings
{
    /// <summary>A request body after decompression; the OpenTelemetry collector's own default limit is 4 MiB too.</summary>
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Spans beyond this in one request are refused (reported in partial_success).</summary>
    public int MaxSpansPerRequest { get; set; } = 10_000;

    /// <summary>Spans one run (trace) may hold; later spans of a full run are refused.</summary>
    public int MaxSpansPerTrace { get; set; } = 10_000;

    public int MaxAttributesPerSpan { get; set; } = 128;

    /// <summary>Characters; a longer value is cut and marked. 16 Ki keeps a long chat message whole.</summary>
    public int MaxAttributeValueLength { get; set; } = 16 * 1024;

    public int MaxEventsPerSpan { get; set; } = 128;

    public int MaxAttributesPerEvent { get; set; } = 64;

    /// <summary>Spans accepted but not yet committed. When full, exporters are told 503 with Retry-After and retry.</summary>
    public int QueueCapacity { get; set; } = 100_000;

    /// <summary>Spans of one project waiting at most; beyond it that project's exporters are told 429 with Retry-After
    /// (and retry) while other projects are still taken in. A quarter of <see cref="QueueCapacity"/>.</summary>
    public int MaxQueuedSpansPerProject { get; set; } = 25_000;

    /// <summary>Spans of one key waiting at most, so one noisy exporter cannot take its project's share.</summary>
    public int MaxQueuedSpansPerKey { get; set; } = 10_000;

    /// <summary>Spans the writer commits in one transaction: large enough to amortise the commit, small enough to keep
    /// a write lock short.</summary>
    public int MaxSpansPerTransaction { get; set; } = 4_000;

    /// <summary>How long a request waits for its spans to be committed before it is answered 503 (and retried).</summary>
    public TimeSpan CommitTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Days a run is kept, for projects that have not set their own.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>Whether message contents are stored, for projects that have not set their own.</summary>
    public bool CaptureContent { get; set; } = true;

    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Runs deleted per transaction, so retention never holds the write lock for long.</summary>
    public int RetentionBatchSize { get; set; } = 500;

    /// <summary>Prices added to or overriding the shipped table, by model name.</summary>
    public Dictionary<string, PriceSetting> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Extra secret patterns (.NET regular expressions) by the name shown in <c>[REDACTED:name]</c>.</summary>
    public Dictionary<string, string> RedactPatterns { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Attribute keys never stored: exact keys, or prefixes ending in <c>*</c>.</summary>
    public List<string> DropAttributes { get; set; } = [];

    public const int MaxRetentionDays = 3650;

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        foreach (var (key, value, min, max) in new (string, int, int, int)[]
        {
            (nameof(MaxRequestBytes), MaxRequestBytes, 1024, 256 * 1024 * 1024),
            (nameof(MaxSpansPerRequest), MaxSpansPerRequest, 1, 1_000_000),
            (nameof(MaxSpansPerTrace), MaxSpansPerTrace, 1, 10_000_000),
            (nameof(MaxAttributesPerSpan), MaxAttributesPerSpan, 1, 10_000),
            (nameof(MaxAttributeValueLength), MaxAttributeValueLength, 64, 16 * 1024 * 1024),
            (nameof(MaxEventsPerSpan), MaxEventsPerSpan, 0, 10_000),
            (nameof(MaxAttributesPerEvent), MaxAttributesPerEvent, 0, 10_000),
            (nameof(QueueCapacity), QueueCapacity, 1, 10_000_000),
            (nameof(MaxQueuedSpansPerProject), MaxQueuedSpansPerProject, 1, QueueCapacity),
            (nameof(MaxQueuedSpansPerKey), MaxQueuedSpansPerKey, 1, MaxQueuedSpansPerProject),
            (nameof(MaxSpansPerTransaction), MaxSpansPerTransaction, 1, 100_000),
            (nameof(RetentionDays), RetentionDays, 1, MaxRetentionDays),
            (nameof(RetentionBatchSize), RetentionBatchSize, 1, 100_000),
        })
        {
            if (value < min || value > max)
            {
                yield return (key, $"must be between {min} and {max}");
            }
        }

        if (CommitTimeout <= TimeSpan.Zero || CommitTimeout > TimeSpan.FromMinutes(10))
        {
            yield return (nameof(CommitTimeout), "must be more than 0 and at most 10 minutes");
        }

        if (RetentionInterval < TimeSpan.FromSeconds(1) || RetentionInterval > TimeSpan.FromDays(7))
        {
            yield return (nameof(RetentionInterval), "must be between 1s and 7 days");
        }

        foreach (var (model, price) in Prices)
        {
            if (price.Input is null || price.Output is null)
            {
                yield return ($"{nameof(Prices)}:{model}", "needs both Input and Output (US dollars per million tokens)");
            }

            foreach (var (part, value) in new[] { ("Input", price.Input), ("Output", price.Output), ("CachedInput", price.CachedInput) })
            {
                if (value is < 0 or > 1_000_000)
                {
                    yield return ($"{nameof(Prices)}:{model}:{part}", "must be between 0 and 1000000");
                }
            }
        }

        foreach (var (name, pattern) in RedactPatterns)
        {
            if (!IsKindName(name))
            {
                yield return ($"{nameof(RedactPatterns)}:{name}", "the name must be letters, digits, '_' or '-' (it is shown as [REDACTED:name])");
            }

            string? problem = null;
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                problem = "is not a valid regular expression: " + e.Message;
            }

            if (problem is not null)
            {
                yield return ($"{nameof(RedactPatterns)}:{name}", problem);
            }
        }

        foreach (var key in DropAttributes)
        {
            if (key.Length == 0 || key.IndexOf('*', StringComparison.Ordinal) is var star && star >= 0 && star != key.Length - 1)
            {
                yield return (nameof(DropAttributes), $"'{key}' must be an attribute key, or a prefix ending in '*'");
            }
        }
    }

    private static bool IsKindName(string name) =>
        name.Length is > 0 and <= 40 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');
}
