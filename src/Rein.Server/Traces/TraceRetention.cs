using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rein.Server.Traces;

/// <summary>
/// Deletes runs (and their spans) older than their project's retention, in batches of
/// <see cref="TracesOptions.RetentionBatchSize"/> runs per transaction so ingest is never blocked for long.
/// </summary>
internal sealed class TraceRetention(TraceStore store, TracesOptions options, TimeProvider time, ILogger<TraceRetention> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RetentionInterval, time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // A storage outage is logged once, when it begins (event 2010), not on every pass.
                if (Storage.StorageFailure.Classify(e) is null)
                {
                    Log.TraceRetentionFailed(logger, options.RetentionInterval, e);
                }
            }
        }
        while (await NextTickAsync(timer, stoppingToken));
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>One pass over every project; returns the runs deleted.</summary>
    public async Task<int> RunOnceAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        var now = time.GetUtcNow();
        foreach (var (projectId, days) in await store.ProjectRetentionAsync(cancellationToken))
        {
            var cutoff = now.AddDays(-(days ?? options.RetentionDays));
            var deleted = 0;
            int batch;
            do
            {
                batch = await store.DeleteRunsBeforeAsync(projectId, TraceStore.ToUnixNanos(cutoff), options.RetentionBatchSize, cancellationToken);
                deleted += batch;
            }
            while (batch == options.RetentionBatchSize && !cancellationToken.IsCancellationRequested);

            if (deleted > 0)
            {
                Log.TraceRetentionDeleted(logger, deleted, projectId, cutoff);
            }

            total += deleted;
        }

        return total;
    }
}
