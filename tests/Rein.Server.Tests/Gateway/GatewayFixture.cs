using System.Net.Http.Json;
using System.Text.Json;
using ModelContextProtocol.Client;
using Rein.Server.Tests.Hosting;
using Rein.Server.Tests.Policies;
using Rein.Testing;

namespace Rein.Server.Tests.Gateway;

/// <summary>
/// A real Rein host with the real <c>server-everything</c> from npm and the scripted test server behind its gateway,
/// an agent key named <c>support-bot</c>, and helpers to connect MCP clients (the official C# SDK) to <c>/mcp</c>.
/// </summary>
public class GatewayFixture : IAsyncLifetime
{
    public const string Agent = "support-bot";

    /// <summary>What the gateway must never pass on or store: a GitHub-token-shaped credential given to a server.</summary>
    public const string SecretToken = "ghp_R3inGatewayT3stS3cretT0ken0123456789";

    public const string Policy = """
        name: gateway-tests
        agents: ["support-bot"]
        mode: enforce
        default: allow
        rules:
          - name: never compress
            tools: ["everything.gzip-file-as-resource"]
            effect: deny
          - name: no large sums
            tools: ["everything.get-sum"]
            when: args.a > 100
            effect: deny
            message: "'sums above 100 are not for this agent'"
          - name: nothing after untrusted content
            tools: ["everything.get-sum"]
            when: run.untrusted
            effect: deny
            message: "'this run read untrusted content'"
          - name: refunds need finance
            tools: ["everything.echo"]
            when: args.message.startsWith('refund')
            effect: require_approval
            route: finance
          - name: tiny images need the user
            tools: ["everything.get-tiny-image"]
            effect: confirm
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private GateHarness? _harness;

    public GateHarness Harness => _harness!;

    public TestHost Host => Harness.Host;

    public HttpClient Admin => Harness.Admin;

    public string AgentKey { get; private set; } = "";

    public static string ScriptPath => McpServers.ScriptedServer;

    protected virtual string? Database => null;

    /// <summary>A variable of the Rein server's own environment that no upstream may see.</summary>
    public const string Canary = "REIN_GATEWAY_TEST_CANARY";

    public virtual async ValueTask InitializeAsync()
    {
        Environment.SetEnvironmentVariable(Canary, "rein-only");
        var everything = McpServers.Bin(McpServers.Everything);
        _harness = await GateHarness.StartAsync(database: await DatabaseAsync(), settings: new Dictionary<string, string?> { ["Gateway:ApprovalWait"] = "20s" });
        AgentKey = await KeyAsync(Agent, "agent");
        await PutServerAsync("everything", new { command = everything, env = new Dictionary<string, string> { ["API_TOKEN"] = SecretToken } });
        await PutServerAsync("scripted", new { command = "node", args = new[] { ScriptPath } });
        await Harness.PushAsync(Policy);

        // Trust on first use pins the fixture's tools now, whatever order the tests run in (one of them switches the
        // project to explicit pinning for a while).
        var listing = await Admin.GetStringAsync("/api/v1/tools?refresh=true", TestContext.Current.CancellationToken);
        Assert.Contains("\"everything.echo\"", listing, StringComparison.Ordinal);
    }

    protected virtual Task<string?> DatabaseAsync() => Task.FromResult(Database);

    public async Task<string> KeyAsync(string name, string role)
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/keys", new { name, role }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("apiKey").GetString()!;
    }

    public async Task<JsonElement> PutServerAsync(string name, object body)
    {
        var response = await Admin.PutAsJsonAsync($"/api/v1/tools/servers/{name}", body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"PUT server {name}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>An MCP client on <c>/mcp</c> with the agent's key (or another), as an agent would connect.</summary>
    public Task<McpClient> ConnectAsync(string? key = null, McpClientOptions? options = null, string query = "") =>
        McpClient.CreateAsync(
            new HttpClientTransport(
                new HttpClientTransportOptions
                {
                    Endpoint = new Uri(Host.Url, "/mcp" + query),
                    TransportMode = HttpTransportMode.StreamableHttp,
                    AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + (key ?? AgentKey) },
                }),
            options,
            cancellationToken: Ct);

    public virtual async ValueTask DisposeAsync()
    {
        if (_harness is not null)
        {
            await _harness.DisposeAsync();
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>The same gateway on a throwaway PostgreSQL database.</summary>
public sealed class PostgresGatewayFixture(PostgresCluster cluster) : GatewayFixture
{
    protected override async Task<string?> DatabaseAsync() => await cluster.CreateDatabaseAsync();
}
