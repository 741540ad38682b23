using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Rein.Server.Storage;

namespace Rein.Server.Approvals;

/// <summary>
/// On PostgreSQL, one connection per server listens on <see cref="ApprovalWaiters.Channel"/> and wakes this server's
/// waiters when any replica decides or expires a request. When the connection fails it reconnects, and wakes every
/// waiter to re-read, since a notification sent meanwhile is lost. On SQLite there is one server and nothing to do.
/// </summary>
internal sealed class PostgresApprovalListener(ReinDatabase database, ApprovalWaiters waiters, ApprovalsOptions options, TimeProvider time, ILogger<PostgresApprovalListener> logger)
    : BackgroundService
{
    /// <summary>Set once the first LISTEN is in place; tests wait for it before deciding through another replica.</summary>
    internal Task Listening => _listening.Task;

    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (database.Kind != DatabaseKind.Postgres)
        {
            _listening.TrySetResult();
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = (NpgsqlConnection)await database.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => waiters.SignalPayload(e.Payload);
                await using (var listen = new NpgsqlCommand("LISTEN " + ApprovalWaiters.Channel, connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                _listening.TrySetResult();
                waiters.SignalAll();
                while (!stoppingToken.IsCancellationRequested)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Whatever broke the connection, waiters still re-read on their own; listening resumes after a pause.
                // A storage outage is logged once, when it begins (event 2010), not on every pass.
                if (Storage.StorageFailure.Classify(e) is null)
                {
                    Log.ApprovalListenerFailed(logger, options.NotifyPollInterval, e);
                }
                waiters.SignalAll();
                try
                {
                    await Task.Delay(options.NotifyPollInterval, time, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
