using System.Globalization;
using System.Net.Http.Json;

namespace Rein.Client;

/// <summary>The caller's project's runs, sessions and trace settings (<c>/api/v1/runs</c>, <c>/api/v1/sessions</c>,
/// <c>/api/v1/traces/settings</c>). Reading needs a viewer, approver or admin key; changing the settings an admin key.
/// A run or session of another project is answered 404, the same as one that does not exist.</summary>
public sealed class RunsClient
{
    private readonly ReinClient _client;

    internal RunsClient(ReinClient client) => _client = client;

    /// <summary>One page of the project's runs, newest first.</summary>
    /// <param name="query">Filters; null for every run.</param>
    /// <param name="cursor">The <see cref="Page{T}.Next"/> of the previous page; null for the first page.</param>
    /// <param name="limit">Page size (the server's default is 100, its maximum 500).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ReinApiException">400 naming the filter at fault, or for a cursor the server did not write.</exception>
    public Task<Page<Run>> ListAsync(RunQuery? query = null, string? cursor = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var q = query ?? new RunQuery();
        var path = "api/v1/runs" + ReinClient.Query(
            ("agent", q.Agent),
            ("release", q.Release),
            ("status", q.Status),
            ("session", q.Session),
            ("user", q.User),
            ("from", ReinClient.Time(q.From)),
            ("to", ReinClient.Time(q.To)),
            ("minCost", q.MinCost?.ToString(CultureInfo.InvariantCulture)),
            ("hasError", q.HasError is { } hasError ? (hasError ? "true" : "false") : null),
            ("tool", q.Tool),
            ("limit", limit?.ToString(CultureInfo.InvariantCulture)),
            ("cursor", cursor));
        return _client.SendAsync(HttpMethod.Get, path, null, ReinJsonContext.Default.PageRun, cancellationToken);
    }

    /// <summary>Every run that matches, newest first, fetching page after page as the enumeration goes.</summary>
    /// <param name="query">Filters; null for every run.</param>
    /// <param name="pageSize">Runs per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The runs, newest first.</returns>
    public IAsyncEnumerable<Run> ListAllAsync(RunQuery? query = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        ReinClient.AllPagesAsync((cursor, ct) => ListAsync(query, cursor, pageSize, ct), cancellationToken);

    /// <summary>One run with all of its spans.</summary>
    /// <param name="id">The run's (trace's) id, 32 hex characters.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The run and its spans, ordered by start time.</returns>
    /// <exception cref="ReinApiException">404 when the project has no such run.</exception>
    public Task<RunDetails> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _client.SendAsync(HttpMethod.Get, "api/v1/runs/" + Uri.EscapeDataString(id), null, ReinJsonContext.Default.RunDetails, cancellationToken);
    }

    /// <summary>The runs of one session, oldest first, with their totals.</summary>
    /// <param name="id">The session id, as the agent reported it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The session.</returns>
    /// <exception cref="ReinApiException">404 when the project has no run in such a session.</exception>
    public Task<SessionDetails> GetSessionAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _client.SendAsync(HttpMethod.Get, "api/v1/sessions/" + Uri.EscapeDataString(id), null, ReinJsonContext.Default.SessionDetails, cancellationToken);
    }

    /// <summary>Runs per agent and time bucket: counts, failures, duration percentiles, tokens and cost.</summary>
    /// <param name="bucket"><see cref="AggregateBuckets.Hour"/> (the default) or <see cref="AggregateBuckets.Day"/>.</param>
    /// <param name="from">The start of the range; null for 24 hours (hourly) or 30 days (daily) before <paramref name="to"/>.</param>
    /// <param name="to">The end of the range; null for now.</param>
    /// <param name="agent">Only this agent; null for every agent.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The buckets that had runs.</returns>
    /// <exception cref="ReinApiException">400 for an unknown bucket or a range too long for it.</exception>
    public Task<RunAggregates> AggregateAsync(string? bucket = null, DateTimeOffset? from = null, DateTimeOffset? to = null, string? agent = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync(
            HttpMethod.Get,
            "api/v1/runs/aggregate" + ReinClient.Query(("bucket", bucket), ("from", ReinClient.Time(from)), ("to", ReinClient.Time(to)), ("agent", agent)),
            null,
            ReinJsonContext.Default.RunAggregates,
            cancellationToken);

    /// <summary>The project's trace settings.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The settings.</returns>
    public Task<TraceSettings> GetSettingsAsync(CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, "api/v1/traces/settings", null, ReinJsonContext.Default.TraceSettings, cancellationToken);

    /// <summary>Replaces the project's trace settings (admin keys only).</summary>
    /// <param name="settings">The new settings.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The settings as the server stored them.</returns>
    /// <exception cref="ReinApiException">400 naming the field out of range; 403 for a key that is not an admin's.</exception>
    public Task<TraceSettings> SetSettingsAsync(TraceSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var body = JsonContent.Create(settings, ReinJsonContext.Default.TraceSettings);
        return _client.SendAsync(HttpMethod.Put, "api/v1/traces/settings", body, ReinJsonContext.Default.TraceSettings, cancellationToken);
    }
}
