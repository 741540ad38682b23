using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rein.Core.Traces;

namespace Rein.Server.Traces;

/// <summary>The queue was full, the server is stopping, or the commit did not finish in time: the exporter should retry.</summary>
public sealed class TraceIngestUnavailableException(string message, TimeSpan retryAfter, bool overShare = false) : Exception(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>The key or its project holds its share of the queue (429); others are still taken in.</summary>
    public bool OverShare { get; } = overShare;
}

/// <summary>
/// One writer per server: requests put their normalised spans on a bounded queue and wait; the writer takes what is
/// waiting (up to <see cref="TracesOptions.MaxSpansPerTransaction"/>) and commits it in one transaction, so many small
/// requests share one commit. A request is answered only after its spans are committed. On shutdown the queue is
/// closed to new requests and drained.
/// </summary>
internal sealed class TraceWriter(TraceStore store, TracesOptions options, TimeProvider time, ILogger<TraceWriter> logger) : IHostedService
{
    private sealed record Pending(SpanBatch Batch, string KeyId, TaskCompletionSource<BatchOutcome> Done);

    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });

    private readonly FairShare _share = new(new ShareLimits(
        "spans waiting", options.QueueCapacity, "Traces:QueueCapacity", options.MaxQueuedSpansPerProject, "Traces:MaxQueuedSpansPerProject", options.MaxQueuedSpansPerKey, "Traces:MaxQueuedSpansPerKey"));

    private Task? _loop;

    /// <summary>Spans accepted and not yet committed.</summary>
    public int QueuedSpans => _share.InUse;

    /// <param name="projectId">The project the spans go to.</param>
    /// <param name="keyId">The key that sent them, whose share of the queue they take.</param>
    /// <param name="spans">The normalised spans.</param>
    /// <param name="cancellationToken">The request's token.</param>
    public Task<BatchOutcome> EnqueueAsync(string projectId, string keyId, IReadOnlyList<Span> spans, CancellationToken cancellationToken)
    {
        if (spans.Count == 0)
        {
            return Task.FromResult(default(BatchOutcome));
        }

        // A request larger than the whole queue (or a share) is still let in when it is empty, or it could never be stored.
        if (_share.TryAcquire(projectId, keyId, spans.Count) is { } refused)
        {
            if (refused.OverShare)
            {
                Log.TraceOverShare(logger, spans.Count, keyId, projectId, refused.Bound);
                throw new TraceIngestUnavailableException($"{refused.Message}; retry later", TimeSpan.FromSeconds(1), overShare: true);
            }

            Log.TraceQueueFull(logger, _share.InUse, options.QueueCapacity, spans.Count, projectId);
            throw new TraceIngestUnavailableException(
                $"the ingest queue is full ({options.QueueCapacity} spans waiting to be written); retry later", TimeSpan.FromSeconds(1));
        }

        var pending = new Pending(new SpanBatch(projectId, spans), keyId, new TaskCompletionSource<BatchOutcome>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            Release(pending);
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
            group.ForEach(Release);
        }
    }

    private void Release(Pending pending) => _share.Release(pending.Batch.ProjectId, pending.KeyId, pending.Batch.Spans.Count);

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
