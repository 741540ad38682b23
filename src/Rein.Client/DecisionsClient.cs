using System.Globalization;

namespace Rein.Client;

/// <summary>The caller's project's decision log (<c>/api/v1/decisions</c>): every decision the gate made, with its input
/// after redaction, its rules and policy version. Needs a viewer, approver or admin key.</summary>
public sealed class DecisionsClient
{
    private readonly ReinClient _client;

    internal DecisionsClient(ReinClient client) => _client = client;

    /// <summary>One page of decisions, newest first.</summary>
    /// <param name="query">Filters; null for every decision.</param>
    /// <param name="cursor">The <see cref="Page{T}.Next"/> of the previous page; null for the first page.</param>
    /// <param name="limit">Page size; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    /// <exception cref="ReinApiException">400 naming the filter at fault, or for a cursor the server did not write.</exception>
    public Task<Page<RecordedDecision>> ListAsync(DecisionQuery? query = null, string? cursor = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var q = query ?? new DecisionQuery();
        var path = "api/v1/decisions" + ReinClient.Query(
            ("effect", q.Effect is { } effect ? effect.ToName() : null),
            ("agent", q.Agent),
            ("tool", q.Tool),
            ("rule", q.Rule),
            ("runId", q.RunId),
            ("policy", q.Policy),
            ("from", ReinClient.Time(q.From)),
            ("to", ReinClient.Time(q.To)),
            ("limit", limit?.ToString(CultureInfo.InvariantCulture)),
            ("cursor", cursor));
        return _client.SendAsync(HttpMethod.Get, path, null, ReinJsonContext.Default.PageRecordedDecision, cancellationToken);
    }

    /// <summary>Every decision that matches, newest first, fetching page after page as the enumeration goes.</summary>
    /// <param name="query">Filters; null for every decision.</param>
    /// <param name="pageSize">Decisions per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The decisions, newest first.</returns>
    public IAsyncEnumerable<RecordedDecision> ListAllAsync(DecisionQuery? query = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        ReinClient.AllPagesAsync((cursor, ct) => ListAsync(query, cursor, pageSize, ct), cancellationToken);

    /// <summary>One decision.</summary>
    /// <param name="id">The decision's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The decision.</returns>
    /// <exception cref="ReinApiException">404 when the project has no such decision.</exception>
    public Task<RecordedDecision> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _client.SendAsync(HttpMethod.Get, "api/v1/decisions/" + Uri.EscapeDataString(id), null, ReinJsonContext.Default.RecordedDecision, cancellationToken);
    }

}
