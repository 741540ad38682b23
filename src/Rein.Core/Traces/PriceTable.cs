using System.Collections.Frozen;

namespace Rein.Core.Traces;

/// <summary>A model's list price in US dollars per million tokens.</summary>
/// <param name="InputPerMillion">Uncached input (prompt) tokens.</param>
/// <param name="OutputPerMillion">Output tokens, reasoning tokens included.</param>
/// <param name="CachedInputPerMillion">Input tokens read from the provider's cache; null when they cost the same as
/// other input tokens.</param>
public sealed record ModelPrice(decimal InputPerMillion, decimal OutputPerMillion, decimal? CachedInputPerMillion = null);

/// <summary>
/// Prices by model id, looked up the way providers and gateways spell model ids: case-insensitive, with or without a
/// provider prefix, with or without a dated or versioned suffix.
/// </summary>
public sealed class PriceTable
{
    private readonly FrozenDictionary<string, ModelPrice> _entries;

    // Longest first, so the first key that prefixes a model id is the most specific one.
    private readonly string[] _keysByLength;

    private PriceTable(IEnumerable<KeyValuePair<string, ModelPrice>> entries)
    {
        _entries = entries.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _keysByLength = [.. _entries.Keys.OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>Rein's shipped prices (see <see cref="DefaultPrices"/>).</summary>
    public static PriceTable Default { get; } = new(DefaultPrices.Entries);

    /// <summary>An empty table: every model is unpriced.</summary>
    public static PriceTable Empty { get; } = new([]);

    /// <summary>Every model id the table knows, with its price.</summary>
    public IReadOnlyDictionary<string, ModelPrice> Entries => _entries;

    /// <summary>A copy of this table with models added or replaced (configuration wins over shipped prices).</summary>
    public PriceTable With(IReadOnlyDictionary<string, ModelPrice> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var merged = new Dictionary<string, ModelPrice>(_entries, StringComparer.OrdinalIgnoreCase);
        foreach (var (model, price) in overrides)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(model, nameof(overrides));
            ArgumentNullException.ThrowIfNull(price, nameof(overrides));
            merged[model.Trim()] = price;
        }

        return new PriceTable(merged);
    }

    /// <summary>
    /// The price of a model id, or null. Tries the id as given, then without a provider prefix
    /// (<c>openai/gpt-4o</c>, <c>models/gemini-2.5-pro</c>, <c>us.anthropic.claude-…</c>), then the longest known id
    /// that the model id starts with, followed by <c>-</c>, <c>@</c> or <c>:</c> (dated and versioned ids).
    /// </summary>
    public ModelPrice? Find(string? model)
    {
        if (string.IsNullOrWhiteSpace(model))
        {
            return null;
        }

        var id = model.AsSpan().Trim();
        var lookup = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.TryGetValue(id, out var exact))
        {
            return exact;
        }

        var slash = id.LastIndexOf('/');
        if (slash >= 0)
        {
            id = id[(slash + 1)..];
        }

        // Bedrock ids carry a vendor and sometimes a region before a dot ("us.anthropic.claude-3-5-sonnet-…"); model
        // names themselves have dots only after a digit ("gpt-4.1"), so only all-letter segments are stripped.
        while (true)
        {
            var dot = id.IndexOf('.');
            if (dot <= 0 || dot > 16 || !IsAsciiLetters(id[..dot]))
            {
                break;
            }

            id = id[(dot + 1)..];
        }

        if (lookup.TryGetValue(id, out var stripped))
        {
            return stripped;
        }

        foreach (var key in _keysByLength)
        {
            if (id.Length > key.Length && id.StartsWith(key, StringComparison.OrdinalIgnoreCase) && id[key.Length] is '-' or '@' or ':')
            {
                return _entries[key];
            }
        }

        return null;
    }

    /// <summary>
    /// The cost in US dollars of a span's tokens, or null when it reported none or the model has no price. Cached input
    /// tokens are part of the input count (OTel GenAI: <c>gen_ai.usage.input_tokens</c> "SHOULD include all types of
    /// input tokens, including cached tokens"); reasoning tokens are part of the output count
    /// (<c>gen_ai.usage.reasoning.output_tokens</c> "SHOULD be included in <c>gen_ai.usage.output_tokens</c>").
    /// </summary>
    public decimal? CostOf(string? model, TokenUsage tokens)
    {
        if (tokens.Input is null && tokens.Output is null)
        {
            return null;
        }

        var price = Find(model);
        if (price is null)
        {
            return null;
        }

        var input = Math.Max(0, tokens.Input ?? 0);
        var cached = Math.Clamp(tokens.CachedInput ?? 0, 0, input);
        var output = Math.Max(0, tokens.Output ?? 0);
        var total = ((input - cached) * price.InputPerMillion)
            + (cached * (price.CachedInputPerMillion ?? price.InputPerMillion))
            + (output * price.OutputPerMillion);
        return total / 1_000_000m;
    }

    private static bool IsAsciiLetters(ReadOnlySpan<char> s)
    {
        foreach (var c in s)
        {
            if (!char.IsAsciiLetter(c))
            {
                return false;
            }
        }

        return true;
    }
}
