using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rein.Client;

/// <summary>
/// The caller's project's approval requests (<c>/api/v1/approvals</c>): what the gate sent to people when it answered
/// <see cref="GateEffect.RequireApproval"/>. Reading the inbox, the export and the statistics needs a viewer, approver or
/// admin key; deciding an approver key (limited to its queues, if it was created with some) or an admin key; setting
/// queues and webhooks an admin key. An agent key may read and wait on the requests of its project, and is the only key
/// that receives an approval's token.
/// </summary>
/// <remarks>The typical agent loop: the gate answers require_approval with <see cref="DecisionApproval.RequestId"/>;
/// <see cref="WaitAsync"/> waits for a person; when approved, the agent repeats its gate call with
/// <see cref="GateRequest.ApprovalToken"/> = <see cref="Approval.Token"/> and the approved arguments, and the gate allows it
/// exactly once. <see cref="GateOptions.WaitForApproval"/> does all of that for a gated function.</remarks>
public sealed class ApprovalsClient
{
    /// <summary>The longest one long poll of <see cref="WaitAsync"/> asks the server to hold: below the server's default
    /// <c>Approvals:MaxWait</c> (60s), the CLI's request timeout (30s) and the idle timeouts of common proxies.</summary>
    public static readonly TimeSpan MaxPollWait = TimeSpan.FromSeconds(20);

    /// <summary>A server that answers a long poll at once while the request is still pending (one at its bound of waiters,
    /// or one whose <c>Approvals:MaxWait</c> is below <see cref="MaxPollWait"/>) is asked again this often, not in a tight
    /// loop.</summary>
    internal static readonly TimeSpan MinPollInterval = TimeSpan.FromSeconds(1);

    /// <summary>What is left of a wait that counts as none: a timer tick and then some.</summary>
    internal static readonly TimeSpan DeadlineSlack = TimeSpan.FromMilliseconds(20);

    private static readonly byte[] Newline = "\n"u8.ToArray();

    private readonly ReinClient _client;

    internal ApprovalsClient(ReinClient client) => _client = client;

    /// <summary>One page of the inbox: the most severe first, then the oldest first.</summary>
    /// <param name="query">Filters; null for every request.</param>
    /// <param name="cursor">The <see cref="Page{T}.Next"/> of the previous page; null for the first page.</param>
    /// <param name="limit">Page size (the server's maximum is 500); null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ReinApiException">400 naming the filter at fault, or for a cursor the server did not write.</exception>
    public Task<Page<ApprovalSummary>> ListAsync(ApprovalQuery? query = null, string? cursor = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var q = query ?? new ApprovalQuery();
        var path = "api/v1/approvals" + ReinClient.Query(
            ("status", q.Status),
            ("queue", q.Queue),
            ("cursor", cursor),
            ("limit", limit?.ToString(CultureInfo.InvariantCulture)));
        return _client.SendAsync(HttpMethod.Get, path, null, ReinJsonContext.Default.PageApprovalSummary, cancellationToken);
    }

    /// <summary>Every request that matches, in inbox order, fetching page after page as the enumeration goes.</summary>
    /// <param name="query">Filters; null for every request.</param>
    /// <param name="pageSize">Requests per request to the server; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The requests.</returns>
    public IAsyncEnumerable<ApprovalSummary> ListAllAsync(ApprovalQuery? query = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        ReinClient.AllPagesAsync((cursor, ct) => ListAsync(query, cursor, pageSize, ct), cancellationToken);

    /// <summary>One request with its evidence, as it stands now.</summary>
    /// <param name="id">The request's id, <c>apr_…</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The request; for an agent key, with its token once approved.</returns>
    /// <exception cref="ReinApiException">404 when the project has no such request.</exception>
    public Task<Approval> GetAsync(string id, CancellationToken cancellationToken = default) =>
        GetCoreAsync(id, TimeSpan.Zero, cancellationToken);

    /// <summary>Waits until a person decides the request or it expires, or until <paramref name="wait"/> has passed, by
    /// long polls of at most <see cref="MaxPollWait"/> each (<c>GET /api/v1/approvals/{id}?wait=…</c>); a decision made
    /// through any server replica ends the wait within about a second.</summary>
    /// <param name="id">The request's id, <c>apr_…</c>.</param>
    /// <param name="wait">How long to wait in all; <see cref="TimeSpan.Zero"/> to look once, or
    /// <see cref="Timeout.InfiniteTimeSpan"/> to wait until it is decided or expires (every request expires).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The request: decided (<see cref="Approval.IsPending"/> false), or still pending when the wait ended. For
    /// an agent key, an approved request holds its <see cref="Approval.Token"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="wait"/> is negative (and not infinite).</exception>
    /// <exception cref="ReinApiException">404 when the project has no such request.</exception>
    /// <exception cref="HttpRequestException">The server could not be reached during the wait.</exception>
    public async Task<Approval> WaitAsync(string id, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var forever = wait == Timeout.InfiniteTimeSpan;
        if (wait < TimeSpan.Zero && !forever)
        {
            throw new ArgumentOutOfRangeException(nameof(wait), wait, "A wait is zero or more, or Timeout.InfiniteTimeSpan.");
        }

        var started = Stopwatch.GetTimestamp();
        var poll = MaxPollWait;
        while (true)
        {
            var left = forever ? poll : wait - Stopwatch.GetElapsedTime(started);
            var asked = left <= TimeSpan.Zero ? TimeSpan.Zero : left < poll ? left : poll;
            var polled = Stopwatch.GetTimestamp();
            Approval approval;
            try
            {
                approval = await GetCoreAsync(id, asked, cancellationToken);
            }
            catch (ReinApiException e) when (e.StatusCode == HttpStatusCode.BadRequest && e.Field == "wait" && poll > MinPollInterval)
            {
                // The server's Approvals:MaxWait is below our poll: ask for short waits instead.
                poll = MinPollInterval;
                continue;
            }

            left = forever ? Timeout.InfiniteTimeSpan : wait - Stopwatch.GetElapsedTime(started);

            // Less than a timer tick left is over: a delay that short completes at once, and asking again would spin.
            if (!approval.IsPending || (!forever && left <= DeadlineSlack))
            {
                return approval;
            }

            var took = Stopwatch.GetElapsedTime(polled);
            if (took < MinPollInterval)
            {
                var pause = MinPollInterval - took;
                await Task.Delay(forever || pause < left ? pause : left, cancellationToken);
            }
        }
    }

    /// <summary>Approves a pending request, as asked or with modified arguments (approver keys limited to the request's
    /// queue, or admin keys). The waiting agent then receives a single-use token bound to its run, the tool, the approved
    /// arguments and the policy version.</summary>
    /// <param name="id">The request's id.</param>
    /// <param name="note">Why, for the audit log and the feedback dataset; null for none.</param>
    /// <param name="args">Other arguments to approve instead of the proposed ones (the outcome is then
    /// <see cref="ApprovalOutcomes.Modified"/>); null to approve them as proposed.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The request, approved.</returns>
    /// <exception cref="ReinApiException">409 when it is no longer pending (the detail names its status); 403 for a key
    /// that may not decide it (naming the queue); 404; 400 or 413 naming a field.</exception>
    public Task<Approval> ApproveAsync(string id, string? note = null, JsonObject? args = null, CancellationToken cancellationToken = default)
    {
        var body = JsonContent.Create(new ApproveBody(note, args), ReinJsonContext.Default.ApproveBody);
        return _client.SendAsync(HttpMethod.Post, Path(id, "approve"), body, ReinJsonContext.Default.Approval, cancellationToken);
    }

    /// <summary>Rejects a pending request: the waiting agent is told, and the action is not taken.</summary>
    /// <param name="id">The request's id.</param>
    /// <param name="note">Why; null for none.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The request, rejected.</returns>
    /// <exception cref="ReinApiException">As for <see cref="ApproveAsync"/>.</exception>
    public Task<Approval> RejectAsync(string id, string? note = null, CancellationToken cancellationToken = default)
    {
        var body = JsonContent.Create(new RejectBody(note), ReinJsonContext.Default.RejectBody);
        return _client.SendAsync(HttpMethod.Post, Path(id, "reject"), body, ReinJsonContext.Default.Approval, cancellationToken);
    }

    /// <summary>Every human decision (approve, modify, reject; not expiries) made in a window, oldest first, as labelled
    /// data, read as the server streams it (<c>GET /api/v1/approvals/export?format=jsonl</c>).</summary>
    /// <param name="since">How far back from now; null for the server's default (24 hours). At most 366 days.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>The records.</returns>
    /// <exception cref="ReinApiException">400 for a window the server does not accept.</exception>
    /// <exception cref="HttpRequestException">A line is not a feedback record (<see cref="HttpRequestError.InvalidResponse"/>).</exception>
    public async IAsyncEnumerable<FeedbackRecord> ExportAsync(TimeSpan? since = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var number = 0;
        await foreach (var line in _client.GetLinesAsync(ExportPath(since), cancellationToken))
        {
            yield return Record(line, ++number);
        }
    }

    /// <summary>Writes the export (<see cref="ExportAsync"/>) to a stream as JSON lines, exactly as the server sent them
    /// (fields this client does not know included), a line at a time; each line is checked to be a feedback record first.</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="since">How far back from now; null for the server's default (24 hours).</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>How many records were written.</returns>
    /// <exception cref="ReinApiException">400 for a window the server does not accept.</exception>
    /// <exception cref="HttpRequestException">A line is not a feedback record; the lines before it were written.</exception>
    public async Task<long> ExportToAsync(Stream destination, TimeSpan? since = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var number = 0L;
        await foreach (var line in _client.GetLinesAsync(ExportPath(since), cancellationToken))
        {
            Record(line, ++number);
            await destination.WriteAsync(line, cancellationToken);
            await destination.WriteAsync(Newline, cancellationToken);
        }

        await destination.FlushAsync(cancellationToken);
        return number;
    }

    /// <summary>Requests opened in a window, per queue and in total: how many are pending, approved, modified, rejected
    /// and expired, and the time to a human decision (p50, p95).</summary>
    /// <param name="since">How far back from now; null for the server's default (24 hours).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The statistics.</returns>
    /// <exception cref="ReinApiException">400 for a window the server does not accept.</exception>
    public Task<ApprovalStats> StatsAsync(TimeSpan? since = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, "api/v1/approvals/stats" + ReinClient.Query(("since", Since(since))), null, ReinJsonContext.Default.ApprovalStats, cancellationToken);

    /// <summary>The queues with settings, by name.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The queues.</returns>
    public async Task<IReadOnlyList<ApprovalQueue>> ListQueuesAsync(CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Get, "api/v1/approvals/queues", null, ReinJsonContext.Default.ItemListApprovalQueue, cancellationToken)).Items;

    /// <summary>Sets how long new requests of a queue stay open (admin keys); a queue needs no setting to be used.</summary>
    /// <param name="name">The queue's name (a rule's <c>route</c>).</param>
    /// <param name="expiry">From 1 minute to 7 days; null to go back to the policy's <c>approval_expiry</c> or the
    /// server's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The queue's settings.</returns>
    /// <exception cref="ReinApiException">400 naming the field at fault.</exception>
    public Task<ApprovalQueue> SetQueueAsync(string name, TimeSpan? expiry, CancellationToken cancellationToken = default)
    {
        var body = JsonContent.Create(new QueueBody(expiry is { } e ? ReinClient.Duration(e) : null), ReinJsonContext.Default.QueueBody);
        return _client.SendAsync(HttpMethod.Put, QueuePath(name), body, ReinJsonContext.Default.ApprovalQueue, cancellationToken);
    }

    /// <summary>Sets the webhook that new requests of a queue are posted to, signed with the secret (admin keys).</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="url">An http or https address.</param>
    /// <param name="secret">The signing secret (16 to 256 characters); null to keep the secret of the webhook the queue
    /// has. Rein stores it encrypted and never returns it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The webhook, without its secret.</returns>
    /// <exception cref="ReinApiException">400 naming the field at fault.</exception>
    public Task<ApprovalWebhook> SetWebhookAsync(string queue, Uri url, string? secret, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(url);
        var body = JsonContent.Create(new WebhookBody(url.OriginalString, secret), ReinJsonContext.Default.WebhookBody);
        return _client.SendAsync(HttpMethod.Put, QueuePath(queue) + "/webhook", body, ReinJsonContext.Default.ApprovalWebhook, cancellationToken);
    }

    /// <summary>A queue's webhook, without its secret (admin keys).</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The webhook.</returns>
    /// <exception cref="ReinApiException">404 when the queue has none.</exception>
    public Task<ApprovalWebhook> GetWebhookAsync(string queue, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, QueuePath(queue) + "/webhook", null, ReinJsonContext.Default.ApprovalWebhook, cancellationToken);

    /// <summary>Removes a queue's webhook (admin keys).</summary>
    /// <param name="queue">The queue's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The webhook that was removed.</returns>
    /// <exception cref="ReinApiException">404 when the queue has none.</exception>
    public Task<ApprovalWebhook> RemoveWebhookAsync(string queue, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Delete, QueuePath(queue) + "/webhook", null, ReinJsonContext.Default.ApprovalWebhook, cancellationToken);

    private Task<Approval> GetCoreAsync(string id, TimeSpan wait, CancellationToken cancellationToken) =>
        _client.SendAsync(
            HttpMethod.Get,
            Path(id) + ReinClient.Query(("wait", wait > TimeSpan.Zero ? ReinClient.Duration(wait) : null)),
            null,
            ReinJsonContext.Default.Approval,
            cancellationToken);

    private static FeedbackRecord Record(ReadOnlyMemory<byte> line, long number)
    {
        try
        {
            return JsonSerializer.Deserialize(line.Span, ReinJsonContext.Default.FeedbackRecord)
                ?? throw new JsonException("the line is the JSON value null");
        }
        catch (JsonException e)
        {
            throw new HttpRequestException(HttpRequestError.InvalidResponse, $"line {number} of the export is not a feedback record ({e.Message})", e);
        }
    }

    private static string ExportPath(TimeSpan? since) =>
        "api/v1/approvals/export" + ReinClient.Query(("since", Since(since)), ("format", "jsonl"));

    private static string? Since(TimeSpan? since)
    {
        if (since is { } s && s <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(since), since, "A window is longer than zero.");
        }

        return since is { } value ? ReinClient.Duration(value) : null;
    }

    private static string Path(string id, string? action = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return "api/v1/approvals/" + Uri.EscapeDataString(id) + (action is null ? "" : "/" + action);
    }

    private static string QueuePath(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return "api/v1/approvals/queues/" + Uri.EscapeDataString(name);
    }
}
