using Rein.Core.Traces;
using Rein.Server.Approvals;
using Rein.Server.Traces;

namespace Rein.Server.Tests.Traces;

/// <summary>What Rein's own spans (here an approval's) may and may not change of a run, and span times to the
/// nanosecond.</summary>
public abstract partial class TraceStoreTests
{
    /// <summary>A rejected approval's span as Rein writes it, with no caller span to hang under (the gate was asked with
    /// a run id only).</summary>
    private RawSpan RejectedApproval(string trace, long createdMs, long decidedMs, string? parent = null) => ApprovalSpans.Build(new ApprovalRow
    {
        ProjectId = H.Admin.ProjectId,
        Id = "apr_01jf3m8q2z7x9k4w5v6t8r1n0p",
        Queue = "finance",
        Status = "rejected",
        Outcome = "rejected",
        Severity = "high",
        Agent = "support",
        Tool = "payments.refund",
        TraceId = trace,
        ParentSpanId = parent,
        CreatedAt = (T0 / 1_000_000) + createdMs,
        DecidedAt = (T0 / 1_000_000) + decidedMs,
    }) ?? throw new InvalidOperationException("a decided request with a trace has a span");

    [Fact]
    public async Task Ingest_ReinSpanWithoutParentAfterTheRunEnded_KeepsTheRunsNameStatusDurationAndErrors()
    {
        var trace = NewTraceId();
        await SendAsync(Root(trace, durationMs: 2));

        await SendAsync(RejectedApproval(trace, createdMs: 1, decidedMs: 1200));
        var run = (await RunAsync(trace)).Run;

        Assert.Equal("invoke_agent support", run.Name);
        Assert.Equal(RunStatus.Success, run.Status);
        Assert.Equal(2, run.DurationMs);
        Assert.Equal(0, run.Errors);
        Assert.Equal(2, run.Spans);
    }

    [Fact]
    public async Task Ingest_ReinSpanBeforeTheAgentsSpans_StandsInForTheRunsTimesUntilTheyArrive()
    {
        var trace = NewTraceId();
        await SendAsync(RejectedApproval(trace, createdMs: 5000, decidedMs: 9000, parent: SpanId(1)));
        var early = (await RunAsync(trace)).Run;

        await SendAsync(Root(trace, startMs: 0, durationMs: 6000), Tool(trace, 1, 0, 4990, "refund"));
        var done = (await RunAsync(trace)).Run;

        Assert.Equal(RunStatus.Running, early.Status);
        Assert.Equal(T0 + (5000L * 1_000_000), early.StartUnixNano);
        Assert.Equal(4000, early.DurationMs);
        Assert.Equal(RunStatus.Success, done.Status);
        Assert.Equal(T0, done.StartUnixNano);
        Assert.Equal(6000, done.DurationMs);
    }

    [Fact]
    public async Task Ingest_GateDecisionSpansFromRein_ADenialIsOneViolationAndNoErrorAndTheRunsTimesHold()
    {
        var trace = NewTraceId();
        RawSpan Gate(int id, string effect, long startMs) => new()
        {
            TraceId = trace,
            SpanId = SpanId(id),
            ParentSpanId = SpanId(1),
            Name = "rein.gate refund",
            StartUnixNano = T0 + (startMs * 1_000_000),
            EndUnixNano = T0 + ((startMs + 1) * 1_000_000),
            Attributes = [new("rein.decision.effect", effect)],
            Status = effect == "deny" ? SpanStatus.Error : SpanStatus.Unset,
            Resource = [new("service.name", "rein")],
            FromRein = true,
        };

        await SendAsync(Root(trace, durationMs: 100), Tool(trace, 1, 0, 10, "refund"));
        await SendAsync(Gate(2, "deny", 12), Gate(3, "allow", 5000));
        var run = (await RunAsync(trace)).Run;

        Assert.Equal((0, 1), (run.Errors, run.Violations));
        Assert.Equal(4, run.Spans);
        Assert.Equal(100, run.DurationMs);
        Assert.Equal(RunStatus.Success, run.Status);
    }

    [Fact]
    public async Task GetRunAsync_SpansMicrosecondsApartSentInReverse_ReadBackInStartOrderToTheNanosecond()
    {
        var trace = NewTraceId();
        RawSpan At(int id, int? parent, long startNs) => new()
        {
            TraceId = trace,
            SpanId = SpanId(id),
            ParentSpanId = parent is { } p ? SpanId(p) : null,
            Name = "span " + id,
            StartUnixNano = T0 + startNs,
            EndUnixNano = T0 + startNs + 50_000,
            Resource = Resource,
        };

        // Siblings 100 µs apart, the later first; a child 300 ns into its parent's millisecond; the root last.
        await SendAsync(At(3, 1, 1_600_000));
        await SendAsync(At(4, 2, 1_500_300), At(2, 1, 1_500_000));
        await SendAsync(At(1, null, 1_000_000));
        var detail = await RunAsync(trace);

        Assert.Equal([SpanId(1), SpanId(2), SpanId(4), SpanId(3)], detail.Spans.Select(s => s.SpanId));
        Assert.Equal([T0 + 1_000_000, T0 + 1_500_000, T0 + 1_500_300, T0 + 1_600_000], detail.Spans.Select(s => s.StartUnixNano));
        Assert.Equal(T0 + 1_000_000, detail.Run.StartUnixNano);
    }
}
