using System.Net.Http.Json;
using System.Text.Json;
using Rein.Testing;

namespace Rein.Server.Tests.Policies;

/// <summary>Two servers on one PostgreSQL database: what one changes, the other decides by on its next decision, and
/// a run's budget holds when both decide for it at once.</summary>
public sealed class GateReplicaTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Replicas_KillSwitchAndActivationOnOne_SeenByTheOthersNextDecision()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var a = await GateHarness.StartAsync(database);
        await using var b = await GateHarness.StartAsync(database, shareKeysWith: a.Host);
        await a.PushAsync(GatePolicies.Support);

        var call = new { agent = "support-bot", tool = "kb.search" };
        Assert.Equal("allow", await b.EffectAsync(call));

        await a.KillAsync("tool", "kb.search");
        Assert.Equal("deny", await b.EffectAsync(call));
        await a.UnkillAsync("tool", "kb.search");
        Assert.Equal("allow", await b.EffectAsync(call));

        await a.PushAsync(GatePolicies.Support.Replace("tools: [\"crm.get_*\", \"kb.search\"]", "tools: [\"crm.get_*\"]", StringComparison.Ordinal));
        var decided = await b.GateAsync(call);
        Assert.Equal("deny", decided.GetProperty("effect").GetString());
        Assert.Equal(2, decided.GetProperty("policy").GetProperty("version").GetInt32());

        (await a.Admin.PostAsync("/api/v1/policies/support-bot/rollback", null, Ct)).EnsureSuccessStatusCode();
        Assert.Equal("allow", await b.EffectAsync(call));
    }

    [Fact]
    public async Task Replicas_DecidingOneRunConcurrently_AllowExactlyMaxSteps()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var a = await GateHarness.StartAsync(database);
        await using var b = await GateHarness.StartAsync(database, shareKeysWith: a.Host);
        await a.PushAsync("""
            name: bounded
            agents: ["worker"]
            default: allow
            budgets: { max_steps: 25, on_exceed: deny }
            rules: []
            """);

        var run = Guid.NewGuid().ToString("N");
        var calls = Enumerable.Range(0, 60).Select(i => (i % 2 == 0 ? a : b).GateAsync(new { agent = "worker", tool = "t", args = new { i }, runId = run }));
        var effects = (await Task.WhenAll(calls)).Select(d => d.GetProperty("effect").GetString()).ToList();
        Assert.Equal(25, effects.Count(e => e == "allow"));
        Assert.Equal(35, effects.Count(e => e == "deny"));

        var log = await a.Viewer.GetFromJsonAsync<JsonElement>($"/api/v1/decisions?runId={run}&limit=500", Ct);
        Assert.Equal(60, log.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task Replicas_CallRecordedOnOne_SeenByTheOtherThatDecidedTheRunBefore()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var a = await GateHarness.StartAsync(database);
        await using var b = await GateHarness.StartAsync(database, shareKeysWith: a.Host);
        await a.PushAsync(GatePolicies.Support);
        var run = Guid.NewGuid().ToString("N");
        object Step(string tool) => new { agent = "support-bot", tool, args = new { to = "a@example.com" }, runId = run };

        // A decides the run first and keeps its state; the export happens through B.
        Assert.Equal("allow", await a.EffectAsync(Step("kb.search")));
        Assert.Equal("allow", await b.EffectAsync(Step("crm.export")));
        var send = await a.GateAsync(Step("email.send"));
        Assert.Equal("deny", send.GetProperty("effect").GetString());
        Assert.Equal("no sending after a bulk export", send.GetProperty("reasons")[0].GetProperty("rule").GetString());
    }
}
