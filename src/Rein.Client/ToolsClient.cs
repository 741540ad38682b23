using System.Net;
using System.Net.Http.Json;

namespace Rein.Client;

/// <summary>The tool gateway's administration (<c>/api/v1/tools</c>): upstream servers, the tool catalog and its pins,
/// the pin mode and fault rules. Reading needs a viewer, approver or admin key; changes an admin key, and are audited.
/// Agents reach the tools themselves over MCP at <c>/mcp</c>.</summary>
public sealed class ToolsClient
{
    private readonly ReinClient _client;

    internal ToolsClient(ReinClient client) => _client = client;

    /// <summary>The project's servers with their health.</summary>
    public async Task<IReadOnlyList<ToolServerStatus>> ListServersAsync(CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Get, "api/v1/tools/servers", null, ReinJsonContext.Default.ItemListToolServerStatus, cancellationToken)).Items;

    /// <exception cref="ReinApiException">404 when there is no such server.</exception>
    public Task<ToolServerStatus> GetServerAsync(string name, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, "api/v1/tools/servers/" + Uri.EscapeDataString(name), null, ReinJsonContext.Default.ToolServerStatus, cancellationToken);

    /// <summary>Adds or replaces a server (admin keys only).</summary>
    /// <returns>The server as stored, and true when it was added rather than replaced.</returns>
    /// <exception cref="ReinApiException">400 naming a bad field; 409 past the project's server limit.</exception>
    public async Task<(ToolServer Server, bool Created)> SetServerAsync(string name, ToolServerSpec spec, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(spec);
        var (server, status) = await _client.SendWithStatusAsync(
            HttpMethod.Put, "api/v1/tools/servers/" + Uri.EscapeDataString(name), JsonContent.Create(spec, ReinJsonContext.Default.ToolServerSpec), ReinJsonContext.Default.ToolServer, cancellationToken);
        return (server, status == HttpStatusCode.Created);
    }

    /// <exception cref="ReinApiException">404 when there is no such server.</exception>
    public Task<ToolServer> RemoveServerAsync(string name, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Delete, "api/v1/tools/servers/" + Uri.EscapeDataString(name), null, ReinJsonContext.Default.ToolServer, cancellationToken);

    /// <summary>The catalog (of one server, or all); with <paramref name="refresh"/> the servers are listed first.</summary>
    public Task<ToolListing> ListAsync(string? server = null, bool refresh = false, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (server is not null)
        {
            query.Add("server=" + Uri.EscapeDataString(server));
        }

        if (refresh)
        {
            query.Add("refresh=true");
        }

        return _client.SendAsync(HttpMethod.Get, "api/v1/tools" + (query.Count > 0 ? "?" + string.Join('&', query) : ""), null, ReinJsonContext.Default.ToolListing, cancellationToken);
    }

    /// <summary>A tool's pinned definition against the current one.</summary>
    /// <param name="name">The namespaced tool name, such as <c>github.create_issue</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<ToolDiff> DiffAsync(string name, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, $"api/v1/tools/{Uri.EscapeDataString(name)}/diff", null, ReinJsonContext.Default.ToolDiff, cancellationToken);

    /// <summary>Pins the current definitions of a server's tools, or of one tool (at <paramref name="hash"/>, when given,
    /// so a definition that changed again since it was reviewed is not pinned).</summary>
    /// <exception cref="ReinApiException">404 without such tools; 409 when the definition is no longer at the hash.</exception>
    public async Task<IReadOnlyList<GatewayTool>> PinAsync(string server, string? tool = null, string? hash = null, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Post, "api/v1/tools/pin", JsonContent.Create(new PinBody(server, tool, hash), ReinJsonContext.Default.PinBody), ReinJsonContext.Default.ItemListGatewayTool, cancellationToken)).Items;

    /// <summary>The project's pin mode.</summary>
    public Task<GatewaySettings> GetSettingsAsync(CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Get, "api/v1/tools/settings", null, ReinJsonContext.Default.GatewaySettings, cancellationToken);

    /// <summary>Sets how new tools are trusted (admin keys only).</summary>
    /// <param name="pinMode"><c>tofu</c> or <c>explicit</c>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public Task<GatewaySettings> SetPinModeAsync(string pinMode, CancellationToken cancellationToken = default) =>
        _client.SendAsync(HttpMethod.Put, "api/v1/tools/settings", JsonContent.Create(new PinModeBody(pinMode), ReinJsonContext.Default.PinModeBody), ReinJsonContext.Default.GatewaySettings, cancellationToken);

    /// <summary>The project's fault rules.</summary>
    public async Task<IReadOnlyList<FaultRule>> GetFaultsAsync(CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Get, "api/v1/tools/faults", null, ReinJsonContext.Default.ItemListFaultRule, cancellationToken)).Items;

    /// <summary>Replaces the project's fault rules; an empty list switches fault injection off.</summary>
    public async Task<IReadOnlyList<FaultRule>> SetFaultsAsync(IReadOnlyList<FaultRule> rules, CancellationToken cancellationToken = default) =>
        (await _client.SendAsync(HttpMethod.Put, "api/v1/tools/faults", JsonContent.Create(new FaultsBody(rules), ReinJsonContext.Default.FaultsBody), ReinJsonContext.Default.ItemListFaultRule, cancellationToken)).Items;
}
