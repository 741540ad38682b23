using System.Globalization;
using System.Net;
using System.Net.Http.Json;

namespace Rein.Client;

/// <summary>The caller's project's policies (<c>/api/v1/policies</c>): immutable versions, which one is active, diffs and
/// backtests. Reading needs a viewer, approver or admin key; pushing, activating, rolling back and deactivating an admin
/// key. Every activation, rollback and deactivation is audited and takes effect on the next decision.</summary>
public sealed class PoliciesClient
{
    private readonly ReinClient _client;

    internal PoliciesClient(ReinClient client) => _client = client;

    /// <summary>Pushes a policy file: the server parses and checks it and runs its embedded tests, and stores it as a new
    /// version when it passes. Pushing the same source again creates nothing and returns the existing version.</summary>
    /// <param name="source">The policy file's text (YAML).</param>
    /// <param name="file">The file's name, used in problem messages; null for the server's default.</param>
    /// <param name="activate">True to make the version active at once (also when it existed already).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version and whether it is new.</returns>
    /// <exception cref="ReinApiException">422 when the policy does not parse or check or its tests fail
    /// (<see cref="PolicyRejection.From"/> reads why); 403 for a key that is not an admin's.</exception>
    public async Task<PolicyPushResult> PushAsync(string source, string? file = null, bool activate = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        var body = JsonContent.Create(new PushPolicyBody(source, file, activate), ReinJsonContext.Default.PushPolicyBody);
        var (version, status) = await _client.SendWithStatusAsync(HttpMethod.Post, "api/v1/policies", body, ReinJsonContext.Default.PolicyVersion, cancellationToken);
        return new PolicyPushResult(version, status == HttpStatusCode.Created);
    }

    /// <summary>The project's policies, by name.</summary>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>Every policy with its active and latest version.</returns>
    public async Task<IReadOnlyList<PolicySummary>> ListAsync(CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Get, "api/v1/policies", null, ReinJsonContext.Default.ItemListPolicySummary, cancellationToken)).Items;

    /// <summary>One policy's versions and activation history.</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The history.</returns>
    /// <exception cref="ReinApiException">404 when the project has no such policy.</exception>
    public Task<PolicyHistory> GetAsync(string name, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, Path(name), null, ReinJsonContext.Default.PolicyHistory, cancellationToken);

    /// <summary>One version with its source and its tests' results.</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="version">The version number.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version.</returns>
    /// <exception cref="ReinApiException">404 when there is no such policy or version.</exception>
    public Task<PolicyVersion> GetVersionAsync(string name, int version, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, Path(name, "versions/" + version.ToString(CultureInfo.InvariantCulture)), null, ReinJsonContext.Default.PolicyVersion, cancellationToken);

    /// <summary>The line diff between two versions' sources.</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="from">The older version (any order works; lines are removed from this one).</param>
    /// <param name="to">The newer version (lines are added in this one).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The diff.</returns>
    /// <exception cref="ReinApiException">404 when there is no such policy or version.</exception>
    public Task<PolicyDiff> DiffAsync(string name, int from, int to, CancellationToken cancellationToken = default) =>
        _client.SendAsync(
            HttpMethod.Get,
            Path(name, "diff") + ReinClient.Query(("from", from.ToString(CultureInfo.InvariantCulture)), ("to", to.ToString(CultureInfo.InvariantCulture))),
            null,
            ReinJsonContext.Default.PolicyDiff,
            cancellationToken);

    /// <summary>Makes a version the active one (admin keys only).</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="version">The version to activate.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version, now active.</returns>
    /// <exception cref="ReinApiException">404 when there is no such policy or version.</exception>
    public Task<PolicyVersion> ActivateAsync(string name, int version, CancellationToken cancellationToken = default)
    {
        var body = JsonContent.Create(new ActivatePolicyBody(version), ReinJsonContext.Default.ActivatePolicyBody);
        return _client.SendAsync(HttpMethod.Post, Path(name, "activate"), body, ReinJsonContext.Default.PolicyVersion, cancellationToken);
    }

    /// <summary>Makes the version that was active before the current activation active again (admin keys only). A rollback
    /// is itself an activation, so a second rollback undoes the first.</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The version now active.</returns>
    /// <exception cref="ReinApiException">409 when there is no earlier activation to go back to.</exception>
    public Task<PolicyVersion> RollbackAsync(string name, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Post, Path(name, "rollback"), null, ReinJsonContext.Default.PolicyVersion, cancellationToken);

    /// <summary>Leaves the policy with no active version, so it decides nothing (admin keys only).</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>A task that completes when the server has deactivated it.</returns>
    /// <exception cref="ReinApiException">404 when there is no such policy.</exception>
    public Task DeactivateAsync(string name, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Post, Path(name, "deactivate"), null, cancellationToken);

    /// <summary>Replays recorded gate requests against a candidate version and counts the decisions it would change.</summary>
    /// <param name="name">The policy's name.</param>
    /// <param name="version">The candidate version.</param>
    /// <param name="since">Replay decisions made from this time; null for the server's default.</param>
    /// <param name="limit">At most this many decisions, newest first; null for the server's default.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>What would change, by rule, tool and effect, with examples.</returns>
    /// <exception cref="ReinApiException">404 when there is no such policy or version; 400 naming a bad field.</exception>
    public Task<PolicyBacktest> BacktestAsync(string name, int version, DateTimeOffset? since = null, int? limit = null, CancellationToken cancellationToken = default)
    {
        var body = JsonContent.Create(new BacktestBody(version, since, limit), ReinJsonContext.Default.BacktestBody);
        return _client.SendAsync(HttpMethod.Post, Path(name, "backtest"), body, ReinJsonContext.Default.PolicyBacktest, cancellationToken);
    }

    private static string Path(string name, string? rest = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return "api/v1/policies/" + Uri.EscapeDataString(name) + (rest is null ? "" : "/" + rest);
    }
}
