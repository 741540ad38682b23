using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rein.Server.Tests.Hosting;
using Rein.Server.Tests.Policies;
using Rein.Testing;

namespace Rein.Server.Tests.Approvals;

/// <summary>A real host with a manual clock, the refund policy active, and admin, agent, viewer and approver keys.</summary>
public sealed class ApprovalHarness : IAsyncDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ApprovalHarness(GateHarness gate, ManualTimeProvider clock, HttpClient approver, string approverName)
    {
        Gate = gate;
        Clock = clock;
        Approver = approver;
        ApproverName = approverName;
    }

    public GateHarness Gate { get; }

    public ManualTimeProvider Clock { get; }

    public TestHost Host => Gate.Host;

    public HttpClient Admin => Gate.Admin;

    public HttpClient Agent => Gate.Agent;

    public HttpClient Viewer => Gate.Viewer;

    /// <summary>An approver key that may decide every queue.</summary>
    public HttpClient Approver { get; }

    public string ApproverName { get; }

    public static async Task<ApprovalHarness> StartAsync(
        string? database, IReadOnlyDictionary<string, string?>? settings = null, TestHost? shareKeysWith = null, bool pushPolicy = true)
    {
        var clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        var all = new Dictionary<string, string?> { ["Approvals:ExpiryInterval"] = "50ms" };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var gate = await GateHarness.StartAsync(database, all, shareKeysWith, clock, agent: "refund-bot");
        var name = "approver-" + Guid.NewGuid().ToString("N")[..6];
        var approver = gate.Host.Client(await KeyAsync(gate.Admin, name, "approver"));
        var harness = new ApprovalHarness(gate, clock, approver, name);
        if (pushPolicy)
        {
            await gate.PushAsync(ApprovalPolicies.Refunds);
        }

        return harness;
    }

    public static async Task<string> KeyAsync(HttpClient admin, string name, string role, string[]? queues = null)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/keys", new { name, role, queues }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"key answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("apiKey").GetString()!;
    }

    public async Task<HttpClient> ApproverAsync(params string[] queues) =>
        Host.Client(await KeyAsync(Admin, "limited-" + Guid.NewGuid().ToString("N")[..6], "approver", queues));

    public static object Refund(int amount, string? run, string? token = null, string tool = "payments.refund", string agent = "refund-bot", object? args = null) => new
    {
        agent,
        tool,
        runId = run,
        args = args ?? new { amount, currency = "EUR", card = "4111111111111111" },
        context = new { reason = "the customer was charged twice", confidence = 0.9 },
        approvalToken = token,
    };

    public Task<JsonElement> AskAsync(object call, HttpClient? client = null) => Gate.GateAsync(call, client);

    /// <summary>Asks for a large refund and returns the request it opened.</summary>
    public async Task<string> OpenAsync(string? run, int amount = 500)
    {
        var decision = await AskAsync(Refund(amount, run));
        Assert.Equal("require_approval", decision.GetProperty("effect").GetString());
        return decision.GetProperty("approval").GetProperty("requestId").GetString()!;
    }

    public async Task<JsonElement> GetAsync(string id, HttpClient? client = null, string? wait = null)
    {
        var response = await (client ?? Viewer).GetAsync($"/api/v1/approvals/{id}" + (wait is null ? "" : "?wait=" + wait), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"get answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public Task<HttpResponseMessage> DecideAsync(string id, string verb, object body, HttpClient? client = null) =>
        (client ?? Approver).PostAsJsonAsync($"/api/v1/approvals/{id}/{verb}", body, Ct);

    public async Task<JsonElement> ApproveAsync(string id, string? note = null, object? args = null, HttpClient? client = null)
    {
        var response = await DecideAsync(id, "approve", new { note, args }, client);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"approve answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> RejectAsync(string id, string? note = null)
    {
        var response = await DecideAsync(id, "reject", new { note });
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"reject answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>The token the waiting agent gets for an approved request.</summary>
    public async Task<string> TokenAsync(string id) =>
        (await GetAsync(id, Agent)).GetProperty("token").GetString() ?? throw new InvalidOperationException("no token");

    public async Task<JsonElement> AuditAsync(string action)
    {
        var response = await Admin.GetAsync("/api/v1/audit?action=" + action, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"audit answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.GetProperty("items").Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Approver.Dispose();
        await Gate.DisposeAsync();
    }
}

/// <summary>Policies the approvals tests share.</summary>
public static class ApprovalPolicies
{
    public const string Refunds = """
        name: refunds
        agents: ["refund-bot"]
        default: deny
        approval_expiry: 30m
        rules:
          - name: lookups
            tools: [kb.search]
            effect: allow
          - name: small refunds
            tools: [payments.refund]
            when: args.amount <= 50
            effect: allow
          - name: large refunds go to finance
            tools: [payments.refund]
            when: args.amount > 50
            effect: require_approval
            route: finance
            severity: high
            message: "'refund of ' + string(args.amount) + ' needs finance'"
            redact: [args.card]
          - name: closing accounts is denied
            tools: [accounts.close]
            effect: deny
        """;

    /// <summary>No approval_expiry: its requests take the queue's expiry or the server's default.</summary>
    public const string Ops = """
        name: ops
        agents: ["ops-bot"]
        default: deny
        rules:
          - name: deletes need someone
            tools: [db.delete]
            effect: require_approval
          - name: wipes are critical
            tools: [db.wipe]
            effect: require_approval
            route: ops
            severity: critical
        """;
}
