using System.Globalization;
using System.Net.Http.Json;

namespace Rein.Client;

/// <summary>The API keys of the caller's project (<c>/api/v1/keys</c>). Every call needs an admin key; another
/// project's key id is answered 404, the same as a key that does not exist.</summary>
public sealed class KeysClient
{
    private readonly ReinClient _client;

    internal KeysClient(ReinClient client) => _client = client;

    /// <summary>One page of the project's keys, oldest first, revoked and expired ones included.</summary>
    /// <param name="limit">Page size (the server's default is 100, its maximum 1000).</param>
    /// <param name="after">The <see cref="Page{T}.Next"/> of the previous page; null for the first page.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The page.</returns>
    public Task<Page<ApiKeyInfo>> ListAsync(int? limit = null, string? after = null, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, "api/v1/keys" + ReinClient.Query(("limit", limit?.ToString(CultureInfo.InvariantCulture)), ("after", after)), null, ReinJsonContext.Default.PageApiKeyInfo, cancellationToken);

    /// <summary>Every key of the project, fetching page after page as the enumeration goes.</summary>
    /// <param name="pageSize">Keys per request; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the requests.</param>
    /// <returns>The keys, oldest first.</returns>
    public IAsyncEnumerable<ApiKeyInfo> ListAllAsync(int? pageSize = null, CancellationToken cancellationToken = default) =>
        ReinClient.AllPagesAsync((after, ct) => ListAsync(pageSize, after, ct), cancellationToken);

    /// <summary>One key of the project.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The key's record.</returns>
    /// <exception cref="ReinApiException">404 when the project has no such key.</exception>
    public Task<ApiKeyInfo> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _client.SendAsync(HttpMethod.Get, "api/v1/keys/" + Uri.EscapeDataString(id), null, ReinJsonContext.Default.ApiKeyInfo, cancellationToken);
    }

    /// <summary>Creates a key in the caller's project.</summary>
    /// <param name="name">What the key is for, such as <c>ci</c> (at most 100 characters).</param>
    /// <param name="role">One of <see cref="KeyRoles.All"/>.</param>
    /// <param name="expiresAt">When the key stops working; null for never. Must be in the future.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The key's record and its full value, which the server never shows again.</returns>
    /// <exception cref="ReinApiException">400 naming the field at fault; 409 when the project is at its key limit.</exception>
    public Task<CreatedApiKey> CreateAsync(string name, string role, DateTimeOffset? expiresAt = null, CancellationToken cancellationToken = default) =>
        CreateAsync(name, role, expiresAt, null, cancellationToken);

    /// <summary>Creates a key in the caller's project; an approver key may be limited to some approval queues.</summary>
    /// <param name="name">What the key is for (at most 100 characters).</param>
    /// <param name="role">One of <see cref="KeyRoles.All"/>.</param>
    /// <param name="expiresAt">When the key stops working; null for never. Must be in the future.</param>
    /// <param name="queues">The approval queues the key may decide (1 to 100 names; only for <see cref="KeyRoles.Approver"/>);
    /// null for every queue.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The key's record and its full value, which the server never shows again.</returns>
    /// <exception cref="ReinApiException">400 naming the field at fault (<c>queues</c> for a key that is not an approver's);
    /// 409 when the project is at its key limit.</exception>
    public Task<CreatedApiKey> CreateAsync(string name, string role, DateTimeOffset? expiresAt, IReadOnlyList<string>? queues, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(role);
        var body = JsonContent.Create(new CreateKeyBody(name, role, expiresAt, queues), ReinJsonContext.Default.CreateKeyBody);
        return _client.SendAsync(HttpMethod.Post, "api/v1/keys", body, ReinJsonContext.Default.CreatedApiKey, cancellationToken);
    }

    /// <summary>Revokes a key of the project; it stops working on the next request. Revoking a revoked key changes
    /// nothing and returns it as it is.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The key's record after the revocation.</returns>
    /// <exception cref="ReinApiException">404 when the project has no such key; 409 for the project's last active admin key.</exception>
    public Task<ApiKeyInfo> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return _client.SendAsync(HttpMethod.Delete, "api/v1/keys/" + Uri.EscapeDataString(id), null, ReinJsonContext.Default.ApiKeyInfo, cancellationToken);
    }
}
