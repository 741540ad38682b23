using Rein.Core.Traces;

namespace Rein.Core.Tests.Traces;

public sealed class PriceTableTests
{
    [Theory]
    [InlineData("gpt-4o", "gpt-4o")]
    [InlineData("GPT-4o", "gpt-4o")]
    [InlineData("gpt-4o-2024-08-06", "gpt-4o")]
    [InlineData("gpt-4o-mini", "gpt-4o-mini")]
    [InlineData("gpt-4o-mini-2024-07-18", "gpt-4o-mini")]
    [InlineData("openai/gpt-4o", "gpt-4o")]
    [InlineData("openai/gpt-4.1-mini-2025-04-14", "gpt-4.1-mini")]
    [InlineData("gpt-4.1", "gpt-4.1")]
    [InlineData("gpt-5-nano-2025-08-07", "gpt-5-nano")]
    [InlineData("o3-mini-2025-01-31", "o3-mini")]
    [InlineData("o3-2025-04-16", "o3")]
    [InlineData("models/gemini-2.5-pro", "gemini-2.5-pro")]
    [InlineData("gemini-2.5-flash-lite", "gemini-2.5-flash-lite")]
    [InlineData("claude-sonnet-4-20250514", "claude-sonnet-4")]
    [InlineData("claude-sonnet-4-5-20250929", "claude-sonnet-4-5")]
    [InlineData("claude-sonnet-4@20250514", "claude-sonnet-4")]
    [InlineData("claude-3-5-sonnet-v2@20241022", "claude-3-5-sonnet")]
    [InlineData("anthropic.claude-3-5-sonnet-20240620-v1:0", "claude-3-5-sonnet")]
    [InlineData("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet")]
    [InlineData("claude-opus-4-1-20250805", "claude-opus-4-1")]
    [InlineData("mistral-large-latest", "mistral-large")]
    public void Find_KnownModelSpelling_ResolvesToItsEntry(string model, string key)
    {
        Assert.Same(PriceTable.Default.Entries[key], PriceTable.Default.Find(model));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("llama-3-70b")]
    [InlineData("gpt-4o2")]
    [InlineData("gpt-4.5-preview")]
    [InlineData("my-gpt-4o")]
    public void Find_UnknownModel_IsNull(string? model)
    {
        Assert.Null(PriceTable.Default.Find(model));
    }

    [Fact]
    public void Find_MiniModel_NeverTakesTheLargerModelsPrice()
    {
        Assert.NotEqual(PriceTable.Default.Find("gpt-4o")!.InputPerMillion, PriceTable.Default.Find("gpt-4o-mini-2024-07-18")!.InputPerMillion);
        Assert.Equal(0.15m, PriceTable.Default.Find("gpt-4o-mini-2024-07-18")!.InputPerMillion);
    }

    [Fact]
    public void With_Override_ReplacesAndAdds_WithoutChangingTheOriginal()
    {
        var table = PriceTable.Default.With(new Dictionary<string, ModelPrice>
        {
            ["GPT-4o"] = new(1m, 2m),
            ["acme-7b"] = new(0.5m, 0.5m),
        });

        Assert.Equal(1m, table.Find("gpt-4o-2024-08-06")!.InputPerMillion);
        Assert.Equal(0.5m, table.Find("acme-7b:latest")!.OutputPerMillion);
        Assert.Equal(2.50m, PriceTable.Default.Find("gpt-4o")!.InputPerMillion);
        Assert.Null(PriceTable.Default.Find("acme-7b"));
    }

    [Fact]
    public void CostOf_CachedInput_IsPricedAtTheCachedRateAndNotTwice()
    {
        var table = PriceTable.Empty.With(new Dictionary<string, ModelPrice> { ["m"] = new(2m, 8m, 0.5m) });

        // 1 000 000 input of which 400 000 cached, 100 000 output (reasoning included, not added again):
        // 600 000 × 2 + 400 000 × 0.5 + 100 000 × 8 = 1.2 + 0.2 + 0.8 dollars.
        var cost = table.CostOf("m", new TokenUsage(1_000_000, 100_000, 400_000, 50_000));

        Assert.Equal(2.2m, cost);
    }

    [Fact]
    public void CostOf_NoCachedPrice_BillsCachedTokensAsInput()
    {
        var table = PriceTable.Empty.With(new Dictionary<string, ModelPrice> { ["m"] = new(3m, 15m) });

        Assert.Equal(0.003m + 0.0015m, table.CostOf("m", new TokenUsage(1000, 100, 900, null)));
    }

    [Fact]
    public void CostOf_DefaultGpt4o_MatchesListPrice()
    {
        // gpt-4o: $2.50 in, $10 out per million.
        Assert.Equal(0.0025m + 0.005m, PriceTable.Default.CostOf("gpt-4o-2024-08-06", new TokenUsage(1000, 500, null, null)));
    }

    [Fact]
    public void CostOf_NoTokensOrNoPrice_IsNull()
    {
        Assert.Null(PriceTable.Default.CostOf("gpt-4o", default));
        Assert.Null(PriceTable.Default.CostOf("unknown-model", new TokenUsage(10, 10, null, null)));
        Assert.Null(PriceTable.Default.CostOf(null, new TokenUsage(10, 10, null, null)));
    }

    [Fact]
    public void CostOf_CachedMoreThanInput_IsClampedToTheInput()
    {
        var table = PriceTable.Empty.With(new Dictionary<string, ModelPrice> { ["m"] = new(2m, 8m, 1m) });

        Assert.Equal(0.001m, table.CostOf("m", new TokenUsage(1000, 0, 5000, null)));
    }

    [Fact]
    public void Default_EveryPrice_IsNonNegativeAndCachedNotAboveInput()
    {
        Assert.True(PriceTable.Default.Entries.Count >= 30);
        foreach (var (model, price) in PriceTable.Default.Entries)
        {
            Assert.True(price.InputPerMillion > 0, model);
            Assert.True(price.OutputPerMillion >= 0, model);
            Assert.True(price.CachedInputPerMillion is null || price.CachedInputPerMillion <= price.InputPerMillion, model);
        }
    }
}
