using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rein.Core.Traces;

namespace Rein.Server.Traces;

/// <summary>The queue was full, the server is stopping, or the commit did not finish in time: the exporter should retry.</summary>
public sealed class TraceIngestUnavailableException(string message, TimeSpan retryAfter) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// One writer per server: requests put their normalised spans on a bounded queue and wait; the writer takes what is
/// waiting (up to <see cref="TracesOptions.MaxSpansPerTransaction"/>) and commits it in one transaction, so many small
/// requests share one commit. A request is answered only after its spans are committed. On shutdown the queue is
/// closed to new requests and drained.
/// </summary>
internal sealed class TraceWriter(TraceStore store, TracesOptions options, TimeProvider time, ILogger<TraceWriter> logger) : IHostedService
{
    private sealed record Pending(SpanBatch Batch, TaskCompletionSource<BatchOutcome> Done);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private int _queuedSpans;
    private Task? _loop;

    /// <summary>Spans accepted and not yet committed.</summary>
    public int QueuedSpans => Volatile.Read(ref _queuedSpans);

    public Task<BatchOutcome> EnqueueAsync(string projectId, IReadOnlyList<Span> spans, CancellationToken cancellationToken)
    {
        if (spans.Count == 0)
        {
            return Task.FromResult(default(BatchOutcome));
        }

        var queued = Interlocked.Add(ref _queuedSpans, spans.Count);
        // A request larger than the whole queue is still let in when the queue is empty, or it could never be stored.
        if (queued > options.QueueCapacity && queued != spans.Count)
        {
            Interlocked.Add(ref _queuedSpans, -spans.Count);
            Log.TraceQueueFull(logger, queued - spans.Count, options.QueueCapacity, spans.Count, projectId);
            throw new TraceIngestUnavailableException(
                $"the ingest queue is full ({options.QueueCapacity} spans waiting to be written); retry later", TimeSpan.FromSeconds(1));
        }

        var pending = new Pending(new SpanBatch(projectId, spans), new TaskCompletionSource<BatchOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            Interlocked.Add(ref _queuedSpans, -spans.Count);
            throw new TraceIngestUnavailableException("the server is shutting down; retry against another replica or later", TimeSpan.FromSeconds(5));
        }

        return WaitAsync(pending, cancellationToken);
    }

    private async Task<BatchOutcome> WaitAsync(Pending pending, CancellationToken cancellationToken)
    {
        try
        {
            return await pending.Done.Task.WaitAsync(options.CommitTimeout, time, cancellationToken);
        }
        catch (TimeoutException)
        {
            // The spans may still be committed later; a re-send is harmless because stored spans are skipped.
            throw new TraceIngestUnavailableException($"the spans were not committed within {options.CommitTimeout.TotalSeconds:0}s; retry later", TimeSpan.FromSeconds(5));
        }
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
        var group = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            group.Clear();
            var spans = 0;
            while (spans < options.MaxSpansPerTransaction && _queue.Reader.TryRead(out var pending))
            {
                group.Add(pending);
                spans += pending.Batch.Spans.Count;
            }

            await WriteAsync(group, spans);
            Interlocked.Add(ref _queuedSpans, -spans);
        }
    }

    private async Task WriteAsync(List<Pending> group, int spans)
    {
        try
        {
            var outcomes = await store.WriteAsync([.. group.Select(p => p.Batch)], options.MaxSpansPerTrace, time.GetUtcNow().ToUnixTimeMilliseconds(), CancellationToken.None);
            for (var i = 0; i < group.Count; i++)
            {
                group[i].Done.TrySetResult(outcomes[i]);
            }
        }
        catch (Exception e) when (Storage.StorageFailure.Classify(e) is { } outage)
        {
            // Storage is down (logged once, when the outage began): every request is answered 503 to retry, none is
            // written on its own, and no stack trace is logged per batch.
            foreach (var pending in group)
            {
                pending.Done.TrySetException(new TraceIngestUnavailableException($"storage is unavailable ({outage.Reason}); retry later", outage.RetryAfter));
            }
        }
        catch (Exception e) when (group.Count > 1)
        {
            // One bad batch must not fail the others it shared a transaction with: write each on its own.
            Log.TraceWriteFailed(logger, spans, group.Count, e);
            foreach (var pending in group)
            {
                await WriteAsync([pending], pending.Batch.Spans.Count);
            }
        }
        catch (Exception e)
        {
            Log.TraceWriteFailed(logger, spans, group.Count, e);
            group[0].Done.TrySetException(new TraceIngestUnavailableException("the spans could not be stored; retry later", TimeSpan.FromSeconds(5)));
        }
    }
}
