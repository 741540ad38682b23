using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Rein.Server.Approvals;

/// <summary>
/// Expiry fails closed: every <see cref="ApprovalsOptions.ExpiryInterval"/>, open requests past their expiry become
/// expired (denied), each audited, notified to every replica and written into its run's trace. The clock is the
/// injected <see cref="TimeProvider"/>, so tests move time instead of sleeping. Replicas may sweep at once: a request
/// expires only while it is still pending, so each expiry happens once.
/// </summary>
internal sealed class ApprovalExpiry(ApprovalService approvals, ApprovalsOptions options, TimeProvider time, ILogger<ApprovalExpiry> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.ExpiryInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await approvals.ExpireDueAsync(stoppingToken);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // A storage outage is logged once, when it begins (event 2010), not on every pass.
                    if (Storage.StorageFailure.Classify(e) is null)
                    {
                        Log.ApprovalExpiryFailed(logger, options.ExpiryInterval, e);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
