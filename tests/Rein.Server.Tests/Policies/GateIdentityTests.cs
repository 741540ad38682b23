using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rein.Testing;

namespace Rein.Server.Tests.Policies;

/// <summary>The agent of a gate call is its key's: a body cannot name another agent, an admin acts for an agent only
/// with actAs (audited), and a run belongs to the agent that started it. On SQLite and on PostgreSQL.</summary>
public abstract class GateIdentityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<string?> DatabaseAsync();

    private const string Strict = """
        name: strict
        agents: ["strict-bot"]
        default: deny
        rules:
          - name: lookups only
            tools: ["kb.search"]
            effect: allow
        """;

    private const string Lax = """
        name: lax
        agents: ["lax-bot", "agentA", "AgentA"]
        default: allow
        rules:
          - name: everything
            tools: ["*"]
            effect: allow
        """;

    private async Task<GateHarness> StartAsync()
    {
        var h = await GateHarness.StartAsync(await DatabaseAsync());
        await h.PushAsync(Strict);
        await h.PushAsync(Lax);
        return h;
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/api/v1/gate", body, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Gate_AgentKeyNamingAnotherAgent_Refused403NamingBothAndItsOwnPolicyDecides()
    {
        await using var h = await StartAsync();
        var strict = await h.AgentFor("strict-bot");

        var (status, problem) = await PostAsync(strict, new { agent = "lax-bot", tool = "payments.refund" });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("'strict-bot'", detail, StringComparison.Ordinal);
        Assert.Contains("'lax-bot'", detail, StringComparison.Ordinal);

        // Left out, the agent is the key's, and the key's policy decides.
        var (ok, decision) = await PostAsync(strict, new { tool = "payments.refund" });
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("deny", decision.GetProperty("effect").GetString());
        Assert.Equal("strict", decision.GetProperty("policy").GetProperty("name").GetString());
        var logged = await h.DecisionsAsync("?tool=payments.refund");
        Assert.All(logged.GetProperty("items").EnumerateArray(), d => Assert.Equal("strict-bot", d.GetProperty("agent").GetString()));
    }

    [Fact]
    public async Task Gate_KillSwitchOnAgent_CaseVariantOfItsNameCannotSlipPast()
    {
        await using var h = await StartAsync();
        var agentA = await h.AgentFor("agentA");
        await h.KillAsync("agent", "agentA");

        foreach (var variant in new[] { "AgentA", "agentB", "AGENTA" })
        {
            var (status, problem) = await PostAsync(agentA, new { agent = variant, tool = "kb.search" });
            Assert.True(status == HttpStatusCode.Forbidden, $"{variant}: {status} {problem}");
        }

        var (ok, decision) = await PostAsync(agentA, new { tool = "kb.search" });
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("deny", decision.GetProperty("effect").GetString());
        Assert.Equal("kill.agent", decision.GetProperty("reasons")[0].GetProperty("rule").GetString());
    }

    [Fact]
    public async Task Gate_AdminKey_ActsForAnAgentOnlyWithActAsAndEachCallIsAudited()
    {
        await using var h = await StartAsync();

        var (missing, noAgent) = await PostAsync(h.Admin, new { tool = "kb.search" });
        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Contains("actAs", noAgent.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (named, namedProblem) = await PostAsync(h.Admin, new { agent = "lax-bot", tool = "payments.refund" });
        Assert.Equal(HttpStatusCode.Forbidden, named);
        Assert.Contains("actAs", namedProblem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (ok, decision) = await PostAsync(h.Admin, new { actAs = "strict-bot", tool = "payments.refund" });
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.Equal("deny", decision.GetProperty("effect").GetString());
        Assert.Equal("strict", decision.GetProperty("policy").GetProperty("name").GetString());

        var response = await h.Admin.GetAsync("/api/v1/audit?action=gate.act_as", Ct);
        var audit = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        var entry = Assert.Single(audit.GetProperty("items").EnumerateArray());
        Assert.Equal(decision.GetProperty("decisionId").GetString(), entry.GetProperty("objectId").GetString());
        var details = entry.GetProperty("details").ToString();
        Assert.Contains("\"agent\":\"strict-bot\"", details, StringComparison.Ordinal);
        Assert.Contains("\"tool\":\"payments.refund\"", details, StringComparison.Ordinal);

        // An agent's own key is never audited for acting as itself.
        await PostAsync(await h.AgentFor("strict-bot"), new { tool = "kb.search" });
        response = await h.Admin.GetAsync("/api/v1/audit?action=gate.act_as", Ct);
        Assert.Single(JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task Gate_RunStartedByAnotherAgent_Refused403AndTheRunIsNotAdvanced()
    {
        await using var h = await StartAsync();
        var lax = await h.AgentFor("lax-bot");
        var strict = await h.AgentFor("strict-bot");
        var run = Guid.NewGuid().ToString("N");

        var (started, _) = await PostAsync(lax, new { tool = "kb.search", runId = run });
        Assert.Equal(HttpStatusCode.OK, started);

        var (status, problem) = await PostAsync(strict, new { tool = "kb.search", runId = run });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains(run, detail, StringComparison.Ordinal);
        Assert.Contains("'lax-bot'", detail, StringComparison.Ordinal);

        // Nothing was recorded for the refused call, and the run's owner goes on as before.
        var logged = await h.DecisionsAsync("?runId=" + run);
        Assert.Single(logged.GetProperty("items").EnumerateArray());
        var (again, _) = await PostAsync(lax, new { tool = "kb.search", runId = run });
        Assert.Equal(HttpStatusCode.OK, again);
    }

    [Fact]
    public async Task Gate_TraceparentIntoAnotherAgentsTrace_Refused403()
    {
        await using var h = await StartAsync();
        var lax = await h.AgentFor("lax-bot");
        var trace = new OtlpTrace("lax-service");
        var root = trace.Root("lax-bot");
        await trace.SendAsync(lax);
        await trace.WaitForRunAsync(h.Viewer);

        var traceparent = $"00-{trace.TraceId}-{root}-01";
        var (status, problem) = await PostAsync(await h.AgentFor("strict-bot"), new { tool = "kb.search", traceparent });
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Contains("'lax-bot'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (own, _) = await PostAsync(lax, new { tool = "kb.search", traceparent });
        Assert.Equal(HttpStatusCode.OK, own);
    }
}

public sealed class SqliteGateIdentityTests : GateIdentityTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresGateIdentityTests(PostgresCluster cluster) : GateIdentityTests
{
    protected override async Task<string?> DatabaseAsync() => await cluster.CreateDatabaseAsync();
}
