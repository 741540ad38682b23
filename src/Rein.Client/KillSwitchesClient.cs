using System.Net;
using System.Net.Http.Json;

namespace Rein.Client;

/// <summary>The caller's project's kill switches (<c>/api/v1/kill-switches</c>): the gate checks them before any policy,
/// and a change takes effect on the next decision on every replica. Reading needs a viewer, approver or admin key;
/// turning switches on and off an admin key, and both are audited (<c>kill.add</c>, <c>kill.remove</c>).</summary>
public sealed class KillSwitchesClient
{
    private readonly ReinClient _client;

    internal KillSwitchesClient(ReinClient client) => _client = client;

    /// <summary>The switches that are on.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Every switch of the project.</returns>
    public async Task<IReadOnlyList<KillSwitch>> ListAsync(CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Get, "api/v1/kill-switches", null, ReinJsonContext.Default.ItemListKillSwitch, cancellationToken)).Items;

    /// <summary>Turns a switch on (admin keys only).</summary>
    /// <param name="scope">One of <see cref="KillSwitchScopes.All"/>.</param>
    /// <param name="target">The tool, agent or release to stop.</param>
    /// <param name="agent">For a tool switch, the one agent to stop it for; null for every agent.</param>
    /// <param name="reason">Why, for the list and the audit log.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>True when the switch was turned on; false when it was on already.</returns>
    /// <exception cref="ReinApiException">400 naming a bad field; 403 for a key that is not an admin's.</exception>
    public async Task<bool> AddAsync(string scope, string target, string? agent = null, string? reason = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentException.ThrowIfNullOrEmpty(target);
        var body = JsonContent.Create(new KillSwitchBody(scope, target, agent, reason), ReinJsonContext.Default.KillSwitchBody);
        return await _client.SendAsync(HttpMethod.Post, "api/v1/kill-switches", body, cancellationToken) == HttpStatusCode.Created;
    }

    /// <summary>Turns a switch off (admin keys only).</summary>
    /// <param name="scope">One of <see cref="KillSwitchScopes.All"/>.</param>
    /// <param name="target">The tool, agent or release.</param>
    /// <param name="agent">For a tool switch, the agent it was turned on for; null for the switch of every agent.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the switch is off.</returns>
    /// <exception cref="ReinApiException">404 when no such switch is on.</exception>
    public Task RemoveAsync(string scope, string target, string? agent = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentException.ThrowIfNullOrEmpty(target);
        var body = JsonContent.Create(new KillSwitchBody(scope, target, agent, null), ReinJsonContext.Default.KillSwitchBody);
        return _client.SendAsync(HttpMethod.Post, "api/v1/kill-switches/remove", body, cancellationToken);
    }
}
