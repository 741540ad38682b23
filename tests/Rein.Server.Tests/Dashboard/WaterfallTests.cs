using Rein.Core.Traces;
using Rein.Server.Dashboard.Pages.Traces;

namespace Rein.Server.Tests.Dashboard;

public sealed class WaterfallTests
{
    private const long Second = 1_000_000_000;

    private static Span SpanOf(string id, string? parent, long start, long end) => new()
    {
        TraceId = new string('a', 32),
        SpanId = id,
        ParentSpanId = parent,
        Name = "span " + id,
        StartUnixNano = start,
        EndUnixNano = end,
    };

    private static string Id(int n) => n.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Build_SpansInAnyOrder_ParentsBeforeChildrenAndSiblingsByStart()
    {
        Span[] spans =
        [
            SpanOf(Id(4), Id(2), 5 * Second, 6 * Second),
            SpanOf(Id(3), Id(1), 7 * Second, 9 * Second),
            SpanOf(Id(2), Id(1), 1 * Second, 6 * Second),
            SpanOf(Id(1), null, 0, 10 * Second),
            SpanOf(Id(5), Id(2), 2 * Second, 3 * Second),
        ];

        var rows = Waterfall.Build(spans, 0, 10 * Second);

        Assert.Equal([Id(1), Id(2), Id(5), Id(4), Id(3)], rows.Select(r => r.Span.SpanId));
        Assert.Equal([0, 1, 2, 2, 1], rows.Select(r => r.Depth));
        Assert.Equal([true, true, false, false, false], rows.Select(r => r.HasChildren));
        Assert.DoesNotContain(rows, r => r.Orphan);
    }

    [Fact]
    public void Build_SiblingsMicrosecondsApartAndAChildInItsParentsMillisecond_InStartOrderNeverLeftOfTheParent()
    {
        const long t0 = 1_795_327_202_000_000_000;
        Span[] spans =
        [
            SpanOf(Id(1), Id(9), t0 + 600_000, t0 + 700_000),
            SpanOf(Id(2), Id(3), t0 + 500_300, t0 + 500_400),
            SpanOf(Id(3), Id(9), t0 + 500_000, t0 + 550_000),
            SpanOf(Id(9), null, t0, t0 + 1_000_000),
        ];

        var rows = Waterfall.Build(spans, t0, t0 + 1_000_000);

        Assert.Equal([Id(9), Id(3), Id(2), Id(1)], rows.Select(r => r.Span.SpanId));
        Assert.Equal([0, 50, 50.03, 60], rows.Select(r => Math.Round(r.Offset, 2)));
        Assert.True(rows[2].Offset > rows[1].Offset);
    }

    [Fact]
    public void Build_ParentNeverArrived_OrphanAtTopLevelInStartOrder()
    {
        Span[] spans =
        [
            SpanOf(Id(1), null, 2 * Second, 10 * Second),
            SpanOf(Id(7), Id(99), 0, 1 * Second),
            SpanOf(Id(8), Id(7), 0, Second / 2),
        ];

        var rows = Waterfall.Build(spans, 0, 10 * Second);

        Assert.Equal([Id(7), Id(8), Id(1)], rows.Select(r => r.Span.SpanId));
        Assert.Equal([true, false, false], rows.Select(r => r.Orphan));
        Assert.Equal([0, 1, 0], rows.Select(r => r.Depth));
    }

    [Fact]
    public void Build_ParentCycle_EverySpanShownOnce()
    {
        Span[] spans =
        [
            SpanOf(Id(1), null, 0, 10 * Second),
            SpanOf(Id(2), Id(3), Second, 2 * Second),
            SpanOf(Id(3), Id(2), Second, 2 * Second),
            SpanOf(Id(4), Id(4), Second, 2 * Second),
        ];

        var rows = Waterfall.Build(spans, 0, 10 * Second);

        Assert.Equal(4, rows.Count);
        Assert.Equal(4, rows.Select(r => r.Span.SpanId).Distinct().Count());
        Assert.True(rows.Single(r => r.Span.SpanId == Id(4)).Orphan);
    }

    [Fact]
    public void Build_Bars_OffsetAndWidthArePercentOfTheRun()
    {
        Span[] spans = [SpanOf(Id(1), null, 100 * Second, 110 * Second), SpanOf(Id(2), Id(1), 102 * Second, 107 * Second)];

        var rows = Waterfall.Build(spans, 100 * Second, 110 * Second);

        Assert.Equal((0, 100), (rows[0].Offset, rows[0].Width));
        Assert.Equal((20, 50), (rows[1].Offset, rows[1].Width));
        Assert.Equal(("20%", "50%"), (rows[1].X, rows[1].W));
    }

    [Fact]
    public void Build_InstantSpan_StillGetsAVisibleBar()
    {
        Span[] spans = [SpanOf(Id(1), null, 0, 1000 * Second), SpanOf(Id(2), Id(1), 1000 * Second, 1000 * Second)];

        var rows = Waterfall.Build(spans, 0, 1000 * Second);

        Assert.Equal(Waterfall.MinWidth, rows[1].Width);
        Assert.True(rows[1].Offset + rows[1].Width <= 100 + Waterfall.MinWidth);
    }

    [Fact]
    public void Build_DeepChain_DoesNotOverflowAndKeepsDepth()
    {
        var spans = Enumerable.Range(1, 5000).Select(i => SpanOf(Id(i), i == 1 ? null : Id(i - 1), i, i + 1)).Reverse().ToList();

        var rows = Waterfall.Build(spans, 0, 6000);

        Assert.Equal(5000, rows.Count);
        Assert.Equal(4999, rows[^1].Depth);
    }
}
