using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rein.Server.Tests.Hosting;

namespace Rein.Server.Tests.Policies;

/// <summary>A real host plus keys and helpers to push policies and ask the gate over HTTP. An agent key's agent is its
/// name, so the harness keeps one agent key per agent name (<see cref="AgentFor"/>); <see cref="Agent"/> is the key of
/// the default agent.</summary>
public sealed class GateHarness : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly Dictionary<string, HttpClient> _agents = new(StringComparer.Ordinal);

    private GateHarness(TestHost host, HttpClient admin, HttpClient agent, string agentName, string agentKey, HttpClient viewer)
    {
        AgentKey = agentKey;
        Host = host;
        Admin = admin;
        Agent = agent;
        AgentName = agentName;
        Viewer = viewer;
        _agents[agentName] = agent;
    }

    public TestHost Host { get; }

    public HttpClient Admin { get; }

    /// <summary>An agent key named <see cref="AgentName"/>.</summary>
    public HttpClient Agent { get; }

    public string AgentName { get; }

    /// <summary>The secret of <see cref="Agent"/>'s key, for a client of another replica acting as the same key.</summary>
    public string AgentKey { get; }

    public HttpClient Viewer { get; }

    public static async Task<GateHarness> StartAsync(
        string? database = null, IReadOnlyDictionary<string, string?>? settings = null, TestHost? shareKeysWith = null, TimeProvider? time = null,
        string agent = "support-bot-eu")
    {
        var host = await TestHost.StartAsync(database: database, settings: settings, time: time);
        var adminKey = shareKeysWith is null ? host.AdminKey : shareKeysWith.AdminKey;
        var admin = host.Client(adminKey);
        var agentKey = await NamedKeyAsync(admin, agent, "agent");
        var viewer = host.Client(await KeyAsync(admin, "viewer"));
        return new GateHarness(host, admin, host.Client(agentKey), agent, agentKey, viewer);
    }

    /// <summary>An agent key whose agent (its name) is <paramref name="agent"/>, made once per harness.</summary>
    public async Task<HttpClient> AgentFor(string agent)
    {
        if (!_agents.TryGetValue(agent, out var client))
        {
            client = _agents[agent] = Host.Client(await NamedKeyAsync(Admin, agent, "agent"));
        }

        return client;
    }

    public static async Task<string> NamedKeyAsync(HttpClient admin, string name, string role)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/keys", new { name, role }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"key answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
    }

    public static async Task<string> KeyAsync(HttpClient admin, string role)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/keys", new { name = role + "-" + Guid.NewGuid().ToString("N")[..6], role }, Ct);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Ct)).GetProperty("apiKey").GetString()!;
    }

    /// <summary>Pushes and activates a policy; returns its version.</summary>
    public async Task<int> PushAsync(string yaml, bool activate = true)
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/policies", new { source = yaml, activate }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"push answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("version").GetInt32();
    }

    /// <summary>Asks the gate; without <paramref name="client"/>, with the agent key of the agent the request names.</summary>
    public async Task<JsonElement> GateAsync(object request, HttpClient? client = null)
    {
        var response = await (client ?? await ClientOfAsync(request)).PostAsJsonAsync("/api/v1/gate", request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"gate answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<string> EffectAsync(object request) => (await GateAsync(request)).GetProperty("effect").GetString()!;

    /// <summary>The agent key of the agent a gate request names (the default agent's when it names none).</summary>
    public async Task<HttpClient> ClientOfAsync(object request) =>
        JsonSerializer.SerializeToElement(request, JsonSerializerOptions.Web) is { ValueKind: JsonValueKind.Object } json &&
        json.TryGetProperty("agent", out var agent) && agent.ValueKind == JsonValueKind.String
            ? await AgentFor(agent.GetString()!)
            : Agent;

    public async Task KillAsync(string scope, string target, string? agent = null)
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/kill-switches", new { scope, target, agent, reason = "test" }, Ct);
        Assert.True(response.IsSuccessStatusCode, $"kill answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    public async Task UnkillAsync(string scope, string target, string? agent = null)
    {
        var response = await Admin.PostAsJsonAsync("/api/v1/kill-switches/remove", new { scope, target, agent }, Ct);
        Assert.True(response.IsSuccessStatusCode, $"unkill answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(Ct)}");
    }

    public async Task<JsonElement> DecisionsAsync(string query = "")
    {
        var response = await Viewer.GetAsync("/api/v1/decisions" + query, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"decisions answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        foreach (var client in _agents.Values)
        {
            client.Dispose();
        }

        Viewer.Dispose();
        await Host.DisposeAsync();
    }
}

/// <summary>Policies the gate tests share.</summary>
public static class GatePolicies
{
    public const string Support = """
        name: support-bot
        agents: ["support-bot*"]
        mode: enforce
        default: deny
        budgets:
          max_steps: 5
          max_identical_calls: 2
          on_exceed: require_approval
        rules:
          - name: lookups
            tools: ["crm.get_*", "kb.search"]
            effect: allow
          - name: refunds
            tools: ["payments.refund"]
            effect: allow
          - name: large refunds go to finance
            tools: ["payments.refund"]
            when: args.amount > 50
            effect: require_approval
            route: finance
            message: "'refund of ' + string(args.amount) + ' needs finance'"
          - name: export
            tools: ["crm.export"]
            effect: allow
            redact: ["args.token"]
          - name: no sending after a bulk export
            tools: ["email.send"]
            when: run.called('crm.export')
            effect: deny
          - name: sending
            tools: ["email.send"]
            effect: allow
          - name: searches are rate limited
            tools: ["web.search"]
            effect: allow
            rate_limit: { key: "principal.id", limit: 2, per: 1h }
        """;
}
