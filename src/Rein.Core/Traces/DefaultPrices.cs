namespace Rein.Core.Traces;

/// <summary>
/// Shipped model prices: the providers' public list prices in US dollars per million tokens, as of 2025, for standard
/// (not batch, not priority) requests and the shortest context tier. Prices change: a deployment overrides or adds
/// models through configuration (<see cref="PriceTable.With"/>) rather than waiting for a release. Cache writes
/// (Anthropic's cache creation surcharge) are not priced: they are billed as ordinary input here.
/// </summary>
internal static class DefaultPrices
{
    public static IEnumerable<KeyValuePair<string, ModelPrice>> Entries =>
    [
        // OpenAI
        new("gpt-5", new ModelPrice(1.25m, 10m, 0.125m)),
        new("gpt-5-mini", new ModelPrice(0.25m, 2m, 0.025m)),
        new("gpt-5-nano", new ModelPrice(0.05m, 0.40m, 0.005m)),
        new("gpt-4.1", new ModelPrice(2m, 8m, 0.50m)),
        new("gpt-4.1-mini", new ModelPrice(0.40m, 1.60m, 0.10m)),
        new("gpt-4.1-nano", new ModelPrice(0.10m, 0.40m, 0.025m)),
        new("gpt-4o", new ModelPrice(2.50m, 10m, 1.25m)),
        new("gpt-4o-mini", new ModelPrice(0.15m, 0.60m, 0.075m)),
        new("gpt-4-turbo", new ModelPrice(10m, 30m)),
        new("gpt-4", new ModelPrice(30m, 60m)),
        new("gpt-3.5-turbo", new ModelPrice(0.50m, 1.50m)),
        new("o1", new ModelPrice(15m, 60m, 7.50m)),
        new("o1-mini", new ModelPrice(1.10m, 4.40m, 0.55m)),
        new("o1-pro", new ModelPrice(150m, 600m)),
        new("o3", new ModelPrice(2m, 8m, 0.50m)),
        new("o3-mini", new ModelPrice(1.10m, 4.40m, 0.55m)),
        new("o3-pro", new ModelPrice(20m, 80m)),
        new("o4-mini", new ModelPrice(1.10m, 4.40m, 0.275m)),
        new("text-embedding-3-small", new ModelPrice(0.02m, 0m)),
        new("text-embedding-3-large", new ModelPrice(0.13m, 0m)),
        new("text-embedding-ada-002", new ModelPrice(0.10m, 0m)),

        // Anthropic (cached = cache reads)
        new("claude-opus-4-1", new ModelPrice(15m, 75m, 1.50m)),
        new("claude-opus-4", new ModelPrice(15m, 75m, 1.50m)),
        new("claude-sonnet-4-5", new ModelPrice(3m, 15m, 0.30m)),
        new("claude-sonnet-4", new ModelPrice(3m, 15m, 0.30m)),
        new("claude-haiku-4-5", new ModelPrice(1m, 5m, 0.10m)),
        new("claude-3-7-sonnet", new ModelPrice(3m, 15m, 0.30m)),
        new("claude-3-5-sonnet", new ModelPrice(3m, 15m, 0.30m)),
        new("claude-3-5-haiku", new ModelPrice(0.80m, 4m, 0.08m)),
        new("claude-3-opus", new ModelPrice(15m, 75m, 1.50m)),
        new("claude-3-haiku", new ModelPrice(0.25m, 1.25m, 0.03m)),

        // Google (prompts up to 200k tokens)
        new("gemini-2.5-pro", new ModelPrice(1.25m, 10m, 0.125m)),
        new("gemini-2.5-flash", new ModelPrice(0.30m, 2.50m, 0.03m)),
        new("gemini-2.5-flash-lite", new ModelPrice(0.10m, 0.40m, 0.01m)),
        new("gemini-2.0-flash", new ModelPrice(0.10m, 0.40m, 0.025m)),
        new("gemini-2.0-flash-lite", new ModelPrice(0.075m, 0.30m)),

        // Mistral
        new("mistral-large", new ModelPrice(2m, 6m)),
        new("mistral-medium", new ModelPrice(0.40m, 2m)),
        new("mistral-small", new ModelPrice(0.10m, 0.30m)),
        new("codestral", new ModelPrice(0.30m, 0.90m)),
    ];
}
