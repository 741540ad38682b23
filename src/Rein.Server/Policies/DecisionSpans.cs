using System.Security.Cryptography;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rein.Core.Traces;
using Rein.Server.Identity;
using Rein.Server.Traces;

namespace Rein.Server.Policies;

/// <summary>
/// Writes each recorded decision into its run's trace as a span <c>rein.gate &lt;tool&gt;</c>, a child of the caller's
/// span when the request carried W3C trace context. Spans go through trace ingest like any exporter's, after the
/// decision is committed and answered, on a bounded queue of their own: a slow trace store never slows the gate, and
/// when the queue is full spans are dropped (the decision log keeps the record).
/// </summary>
internal sealed class DecisionSpans(TraceIngest ingest, ILogger<DecisionSpans> logger) : IHostedService
{
    /// <summary>Decision spans waiting to be written; beyond it they are dropped and counted in the log.</summary>
    internal const int QueueCapacity = 10_000;

    private readonly Channel<(Caller Caller, RawSpan Span)> _queue = Channel.CreateBounded<(Caller, RawSpan)>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });

    private Task? _loop;

    public void Write(IReadOnlyList<GateWriter.Pending> group, IReadOnlyList<GateOutcome> outcomes)
    {
        for (var i = 0; i < group.Count; i++)
        {
            if (outcomes[i].Row is { TraceId: { } traceId } row)
            {
                _queue.Writer.TryWrite((group[i].Caller, Build(group[i].Call, outcomes[i].Decision, row, traceId, UnixNanos(group[i].Queued))));
            }
        }
    }

    /// <summary>Queues one span Rein writes about a run (an approval's decision); false when the queue is full.</summary>
    public bool Enqueue(Caller caller, RawSpan span) => _queue.Writer.TryWrite((caller, span));

    /// <summary>Time to the clock's precision (100 ns), not the decision log's milliseconds: a decision asked in the
    /// millisecond its caller's span started must not start before it, nor before a sibling asked earlier.</summary>
    internal static long UnixNanos(DateTimeOffset at) => (at.UtcTicks - DateTimeOffset.UnixEpoch.Ticks) * TimeSpan.NanosecondsPerTick;

    /// <param name="call">The call decided.</param>
    /// <param name="decision">The answer.</param>
    /// <param name="row">The decision as logged.</param>
    /// <param name="traceId">The run's trace.</param>
    /// <param name="start">When the gate took the call, in Unix nanoseconds; the span lasts the decision's latency.</param>
    internal static RawSpan Build(GateCall call, GateDecision decision, DecisionRow row, string traceId, long start)
    {
        var end = start + (row.LatencyUs * 1_000);
        var attributes = new List<SpanAttribute>
        {
            new("rein.decision.effect", decision.Effect),
            new("rein.decision.id", decision.DecisionId),
            new("rein.decision.rules", string.Join(",", decision.Reasons.Select(r => r.Rule).Distinct(StringComparer.Ordinal))),
            new("rein.decision.reason", string.Join("; ", decision.Reasons.Select(r => r.Message))),
            new("rein.decision.latency_us", row.LatencyUs),
            new("gen_ai.tool.name", call.Tool),
            new("gen_ai.agent.name", call.Agent),
        };
        if (decision.Policy is { } policy)
        {
            attributes.Add(new("rein.policy.name", policy.Name));
            attributes.Add(new("rein.policy.version", (long)policy.Version));
            attributes.Add(new("rein.policy.hash", policy.Hash));
        }

        if (decision.Approval is { } approval)
        {
            attributes.Add(new("rein.approval.id", approval.RequestId));
        }

        if (decision.Mode is { } mode)
        {
            attributes.Add(new("rein.policy.mode", mode));
        }

        if (call.Release is { } release)
        {
            attributes.Add(new("rein.release", release));
        }

        if (call.SessionId is { } session)
        {
            attributes.Add(new("session.id", session));
        }

        return new RawSpan
        {
            TraceId = traceId,
            SpanId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            ParentSpanId = call.ParentSpanId,
            Name = "rein.gate " + call.Tool,
            Kind = 1,
            StartUnixNano = start,
            EndUnixNano = end,
            Attributes = attributes,
            Status = decision.EffectValue == Core.Policies.Effect.Deny ? SpanStatus.Error : SpanStatus.Unset,
            StatusMessage = decision.EffectValue == Core.Policies.Effect.Deny ? "denied by the gate" : null,
            Resource = [new("service.name", "rein")],
            ScopeName = "rein.gate",
            FromRein = true,
        };
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task RunAsync()
    {
        var batch = new List<RawSpan>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (_queue.Reader.TryPeek(out var first))
            {
                // One ingest call per caller (project and key) at a time.
                batch.Clear();
                var caller = first.Caller;
                while (batch.Count < 1000 && _queue.Reader.TryPeek(out var next) && next.Caller == caller && _queue.Reader.TryRead(out next))
                {
                    batch.Add(next.Span);
                }

                try
                {
                    await ingest.IngestAsync(caller, batch, 0, null, CancellationToken.None);
                }
                catch (Exception e)
                {
                    Log.GateSpansFailed(logger, batch.Count, e);
                }
            }
        }
    }
}
