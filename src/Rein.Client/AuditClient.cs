using System.Globalization;

namespace Rein.Client;

/// <summary>The caller's project's hash-chained audit log (<c>/api/v1/audit</c>; viewer, approver and admin keys).</summary>
public sealed class AuditClient
{
    private readonly ReinClient _client;

    internal AuditClient(ReinClient client) => _client = client;

    /// <summary>One page of the log, newest first.</summary>
    /// <param name="limit">Page size (the server's default is 100, its maximum 1000).</param>
    /// <param name="before">Only entries with a smaller sequence number: the previous page's <see cref="Page{T}.Next"/>
    /// as a number. Null for the newest entries.</param>
    /// <param name="action">Only entries with this action, such as <c>key.create</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page; its <see cref="Page{T}.Next"/> is the sequence number to pass as <paramref name="before"/>.</returns>
    public Task<Page<AuditEntry>> ListAsync(int? limit = null, long? before = null, string? action = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync(
            HttpMethod.Get,
            "api/v1/audit" + ReinClient.Query(
                ("limit", limit?.ToString(CultureInfo.InvariantCulture)),
                ("before", before?.ToString(CultureInfo.InvariantCulture)),
                ("action", action)),
            null,
            ReinJsonContext.Default.PageAuditEntry,
            cancellationToken);

    /// <summary>The whole log, newest first, fetching page after page as the enumeration goes.</summary>
    /// <param name="action">Only entries with this action.</param>
    /// <param name="pageSize">Entries per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The entries, newest first.</returns>
    public IAsyncEnumerable<AuditEntry> ListAllAsync(string? action = null, int? pageSize = null, CancellationToken cancellationToken = default) =>
        ReinClient.AllPagesAsync((before, ct) => ListAsync(pageSize, ParseCursor(before), action, ct), cancellationToken);

    /// <summary>Recomputes every entry's hash and link; the answer names the first bad entry, if any.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The verification result. A broken chain is a result, not an exception.</returns>
    public Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, "api/v1/audit/verify", null, ReinJsonContext.Default.AuditVerification, cancellationToken);

    private static long? ParseCursor(string? cursor) =>
        cursor is null ? null
        : long.TryParse(cursor, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq
        : throw new HttpRequestException(HttpRequestError.InvalidResponse, $"the audit log's next-page cursor '{cursor}' is not a sequence number");
}
