using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rein.Server.Storage;

namespace Rein.Server.Approvals.Webhooks;

/// <summary>
/// Sends the outbox. Every <see cref="ApprovalWebhookOptions.PollInterval"/> each server claims the deliveries that
/// are due (a claim counts the attempt and leases the row, so replicas on one PostgreSQL never send a row twice at
/// once), posts each to its queue's webhook, signed with the queue's secret, and records the outcome: a 2xx answer is
/// <c>delivered</c>; anything else is tried again after <see cref="ApprovalWebhookOptions.Backoff"/> until
/// <see cref="ApprovalWebhookOptions.MaxAttempts"/>, then <c>failed</c>. Redirects are not followed (the signed body
/// would go where the admin did not send it). Nothing here can block or fail a decision: requests and their outbox
/// rows are already committed.
/// </summary>
public sealed class WebhookDispatcher : IHostedService, IDisposable
{
    /// <summary>Characters of <c>last_error</c>: the reason and the start of the receiver's answer.</summary>
    public const int MaxErrorLength = 500;

    /// <summary>Bytes of a failed answer's body kept in <c>last_error</c>.</summary>
    public const int MaxErrorBodyBytes = 256;

    /// <summary>How often finished deliveries older than the retention are deleted.</summary>
    internal static readonly TimeSpan RetentionSweepInterval = TimeSpan.FromHours(1);

    private readonly ReinDatabase _database;
    private readonly ApprovalWebhookService _webhooks;
    private readonly ApprovalWebhookOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stopping = new();
    private DateTimeOffset _nextSweep = DateTimeOffset.MinValue;
    private Task? _loop;

    public WebhookDispatcher(ReinDatabase database, ApprovalWebhookService webhooks, ApprovalWebhookOptions options, TimeProvider time, ILogger<WebhookDispatcher> logger)
    {
        _database = database;
        _webhooks = webhooks;
        _options = options;
        _time = time;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = options.Timeout,
            // DNS changes of a receiver are picked up within this.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        })
        {
            // Each attempt has its own timeout, on the injected clock.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("Rein-Webhooks", ServerInfo.Version));
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(RunAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // Attempts under way are abandoned; their rows' leases run out and they are tried again (counted once).
        await _stopping.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _http.Dispose();
    }

    private async Task RunAsync()
    {
        var stopping = _stopping.Token;
        using var timer = new PeriodicTimer(_options.PollInterval, _time);
        try
        {
            do
            {
                try
                {
                    await PassAsync(stopping);
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    // A storage outage is logged once, when it begins (event 2010), not on every pass.
                    if (Storage.StorageFailure.Classify(e) is null)
                    {
                        Log.ApprovalWebhookPassFailed(_logger, _options.PollInterval, e);
                    }
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>Sends every delivery due now, a batch at a time; returns how many were attempted.</summary>
    internal async Task<int> PassAsync(CancellationToken cancellationToken)
    {
        await SweepAsync(cancellationToken);
        var attempted = 0;
        while (true)
        {
            var now = _time.GetUtcNow();
            var claimed = await _database.WriteAsync(
                (c, t) => WebhookStore.ClaimAsync(
                    c, t, now.ToUnixTimeMilliseconds(), (now + _options.Lease).ToUnixTimeMilliseconds(), _options.BatchSize, _options.MaxBatchPerProject, _options.MaxBatchPerQueue),
                cancellationToken);
            if (claimed.Count == 0)
            {
                return attempted;
            }

            await Parallel.ForEachAsync(
                claimed,
                new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken },
                async (row, token) => await DeliverAsync(row, token));
            // A batch cut short by the shares is not the end of what is due: claim until nothing is.
            attempted += claimed.Count;
        }
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + RetentionSweepInterval;
        var cutoff = now - _options.Retention;
        var deleted = await _database.WriteAsync((c, t) => WebhookStore.DeleteFinishedBeforeAsync(c, cutoff.ToUnixTimeMilliseconds()), cancellationToken);
        if (deleted > 0)
        {
            Log.ApprovalWebhookDeliveriesDeleted(_logger, deleted, cutoff);
        }
    }

    private async Task DeliverAsync(DeliveryRow row, CancellationToken cancellationToken)
    {
        var claimed = row.Attempts;
        string? problem = null;
        if (claimed > _options.MaxAttempts)
        {
            // The server making the last attempt stopped before recording it; that attempt was the last.
            row.Attempts = claimed - 1;
            problem = $"attempt {row.Attempts} of {_options.MaxAttempts} was interrupted before it finished; no attempts left";
        }

        var webhook = problem is null ? await _database.ReadAsync(c => WebhookStore.GetAsync(c, null, row.ProjectId, row.Queue), cancellationToken) : null;
        var secret = webhook is null ? null : _webhooks.Unprotect(webhook);
        if (problem is null && webhook is null)
        {
            problem = $"queue '{row.Queue}' has no webhook any more";
        }
        else if (problem is null && secret is null)
        {
            problem = "the webhook's secret cannot be read (the data-protection keys that protected it are gone); set the webhook again";
        }

        if (problem is not null)
        {
            row.Status = DeliveryStatus.Failed;
            row.LastError = problem;
            await FinishAsync(row, claimed, cancellationToken);
            Log.ApprovalWebhookFailed(_logger, row.Id, row.RequestId, row.ProjectId, WebhookUrls.Origin(row.Url), row.Attempts, problem);
            return;
        }

        row.Url = webhook!.Url;
        var (statusCode, error) = await SendAsync(row, secret!, cancellationToken);
        var now = _time.GetUtcNow();
        row.LastStatusCode = statusCode;
        row.LastError = error is null ? null : Cut(error, MaxErrorLength);
        var origin = WebhookUrls.Origin(row.Url);
        if (error is null)
        {
            row.Status = DeliveryStatus.Delivered;
            row.DeliveredAt = now.ToUnixTimeMilliseconds();
            await FinishAsync(row, claimed, cancellationToken);
            Log.ApprovalWebhookDelivered(_logger, row.Id, row.RequestId, row.ProjectId, origin, row.Attempts, statusCode ?? 0);
        }
        else if (row.Attempts >= _options.MaxAttempts)
        {
            row.Status = DeliveryStatus.Failed;
            await FinishAsync(row, claimed, cancellationToken);
            Log.ApprovalWebhookFailed(_logger, row.Id, row.RequestId, row.ProjectId, origin, row.Attempts, row.LastError!);
        }
        else
        {
            var delay = _options.DelayAfter(row.Attempts);
            row.NextAttemptAt = (now + delay).ToUnixTimeMilliseconds();
            await FinishAsync(row, claimed, cancellationToken);
            Log.ApprovalWebhookRetrying(_logger, row.Id, row.RequestId, row.ProjectId, origin, row.Attempts, _options.MaxAttempts, row.LastError!, delay);
        }
    }

    // A row another server took meanwhile (this one's lease ran out) is left to it.
    private Task<bool> FinishAsync(DeliveryRow row, int claimed, CancellationToken cancellationToken) =>
        _database.WriteAsync((c, t) => WebhookStore.FinishAsync(c, t, row, claimed), cancellationToken);

    /// <summary>One attempt: the status code, and null or what went wrong.</summary>
    private async Task<(int? StatusCode, string? Error)> SendAsync(DeliveryRow row, string secret, CancellationToken cancellationToken)
    {
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, row.Url)
        {
            Content = new StringContent(row.Body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Rein-Event", row.Event);
        request.Headers.Add("X-Rein-Delivery", row.Id);
        request.Headers.Add("X-Rein-Timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-Rein-Signature", WebhookSignature.Sign(secret, timestamp, row.Body));

        using var timeout = new CancellationTokenSource(_options.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var code = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return (code, null);
            }

            var error = $"HTTP {code} {response.ReasonPhrase}".TrimEnd();
            var start = await ReadStartAsync(response, linked.Token);
            return (code, start.Length > 0 ? $"{error}: {start}" : error);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {_options.Timeout.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)}s (Approvals:Webhooks:Timeout)");
        }
        catch (HttpRequestException e)
        {
            // Messages name the host and port at most (Connection refused (hooks.example.com:443)), never the path.
            return (null, e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message} {inner.Message}" : e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever else one receiver causes stays that receiver's failed attempt, not the whole batch's.
            return (null, $"{e.GetType().Name}: {e.Message}");
        }
    }

    private static async Task<string> ReadStartAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxErrorBodyBytes];
            var read = 0;
            int n;
            while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken)) > 0)
            {
                read += n;
            }

            var text = Encoding.UTF8.GetString(buffer, 0, read);
            return new string([.. text.Select(c => char.IsControl(c) ? ' ' : c)]).Trim();
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return "";
        }
    }

    private static string Cut(string value, int max) => value.Length <= max ? value : value[..(max - 1)] + "…";
}
