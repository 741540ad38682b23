using System.Text.Json;
using Rein.Cli.Runs;
using Rein.Client;

namespace Rein.Cli.Tests.Runs;

public sealed class SpanTreeTests
{
    [Fact]
    public void Lines_ChildrenOutOfOrder_NestUnderParentsSortedByStart()
    {
        var spans = new[]
        {
            Span("a-late", "root", 30),
            Span("grandchild", "z-early", 15),
            Span("root", null, 0),
            Span("z-early", "root", 10),
        };

        var lines = SpanTree.Lines(spans);

        Assert.Equal(["root:0", "z-early:1", "grandchild:2", "a-late:1"], lines.Select(l => $"{l.Span.SpanId}:{l.Depth}"));
        Assert.All(lines, l => Assert.False(l.Orphan));
    }

    [Fact]
    public void Lines_ParentNotReceived_StartsItsOwnTreeAtTheTopMarkedOrphan()
    {
        var spans = new[] { Span("root", null, 0), Span("lost-child", "missing", 5), Span("grandchild", "lost-child", 6) };

        var lines = SpanTree.Lines(spans);

        Assert.Equal(["root:0", "lost-child:0", "grandchild:1"], lines.Select(l => $"{l.Span.SpanId}:{l.Depth}"));
        Assert.Equal([false, true, false], lines.Select(l => l.Orphan));
    }

    [Fact]
    public void Lines_ParentCycle_ShowsEverySpanOnce()
    {
        var spans = new[] { Span("root", null, 0), Span("a", "b", 1), Span("b", "a", 2) };

        var lines = SpanTree.Lines(spans);

        Assert.Equal(["root", "a", "b"], lines.Select(l => l.Span.SpanId));
        Assert.True(lines[1].InCycle);
        Assert.Equal(1, lines[2].Depth);
    }

    [Fact]
    public void Lines_SiblingsMicrosecondsApartAndAChildInItsParentsMillisecond_InStartOrderToTheNanosecond()
    {
        const long t0 = 1_795_327_202_000_000_000;
        var spans = new[]
        {
            SpanAt("a-second", "root", t0 + 600_000),
            SpanAt("b-child", "z-first", t0 + 500_300),
            SpanAt("z-first", "root", t0 + 500_000),
            SpanAt("root", null, t0 + 400_000),
        };

        var lines = SpanTree.Lines(spans);

        Assert.Equal(["root:0", "z-first:1", "b-child:2", "a-second:1"], lines.Select(l => $"{l.Span.SpanId}:{l.Depth}"));
    }

    [Fact]
    public void Lines_DeepChain_DoesNotOverflowTheStack()
    {
        var spans = Enumerable.Range(0, 100_000).Select(i => Span($"s{i}", i == 0 ? null : $"s{i - 1}", i)).ToList();

        var lines = SpanTree.Lines(spans);

        Assert.Equal(99_999, lines[^1].Depth);
    }

    [Fact]
    public void TreeLine_ErrorSpanWithUnknownCost_ShowsTheMarkAndTheMessage()
    {
        var span = Span("s", "p", 0) with { Kind = "llm", Name = "chat x", DurationMs = 1500, Status = "error", StatusMessage = "rate\nlimited", CostUnknown = true, Tokens = new SpanTokens(10, 2, null, null) };

        var line = RunsCommand.TreeLine(new SpanLine(span, 2, Orphan: false, InCycle: false));

        Assert.Equal("    llm chat x  1.50s  10/2 tokens  cost ?  ERROR: rate\\u000alimited", line);
    }

    private static TraceSpan SpanAt(string id, string? parent, long startUnixNano) =>
        Span(id, parent, 0) with { StartUnixNano = startUnixNano, StartedAt = DateTimeOffset.UnixEpoch.AddTicks(startUnixNano / 100) };

    private static TraceSpan Span(string id, string? parent, long startMs) => new(
        id, parent, id, "other", DateTimeOffset.UnixEpoch.AddMilliseconds(startMs), startMs * 1_000_000, 1, "unset", null, null, null, null, null, null, null, null,
        new SpanTokens(null, null, null, null), null, false, new Dictionary<string, JsonElement>(), [], new Dictionary<string, JsonElement>(), null, 0, 0, 0, 0);
}
