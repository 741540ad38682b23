using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Rein.Client.Tests;

/// <summary>A real server with the refunds policy active, and a client with an agent key, as an agent would hold.</summary>
public sealed class GateFixture : IAsyncLifetime
{
    private readonly ReinServerFixture _rein = new();
    private ReinClient? _agent;

    public ReinServerFixture Rein => _rein;

    public ReinClient Agent => _agent ?? throw new InvalidOperationException("The server has not started.");

    public PolicyVersion Policy { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        await _rein.InitializeAsync();
        Policy = (await _rein.Admin.Policies.PushAsync(PolicyFiles.Refunds("refunds"), "refunds.yaml", activate: true)).Version;
        var (_, agentKey) = await _rein.Server.CreateKeyAsync("support-bot", KeyRoles.Agent);
        _agent = _rein.ClientWith(agentKey);
    }

    public async ValueTask DisposeAsync()
    {
        _agent?.Dispose();
        await _rein.DisposeAsync();
    }
}

/// <summary>Real <see cref="AIFunctionFactory"/> functions behind the gate of a real server.</summary>
public sealed class GatedFunctionTests(GateFixture gate) : IClassFixture<GateFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static GateOptions Options(string? runId = null) => new() { Agent = "support-bot", Release = "v7", RunId = runId ?? Guid.NewGuid().ToString("N") };

    [Fact]
    public async Task InvokeAsync_Allowed_RunsTheFunctionAndReturnsItsResult()
    {
        var refunds = new List<int>();
        var refund = AIFunctionFactory.Create((int amount) => { refunds.Add(amount); return $"refunded {amount}"; }, "refund");

        var result = await refund.WithGate(gate.Agent, Options()).InvokeAsync(new AIFunctionArguments { ["amount"] = 20 }, Ct);

        Assert.Equal([20], refunds);
        Assert.Equal("refunded 20", ((JsonElement)result!).GetString());
    }

    [Fact]
    public async Task InvokeAsync_Denied_DoesNotRunAndTellsTheModelWhy()
    {
        var ran = false;
        var wire = AIFunctionFactory.Create((string account) => { ran = true; return "sent"; }, "wire_money");

        var result = await wire.WithGate(gate.Agent, Options()).InvokeAsync(new AIFunctionArguments { ["account"] = "DE00" }, Ct);

        Assert.False(ran);
        var text = Assert.IsType<string>(result);
        Assert.StartsWith("Denied: the tool 'wire_money' was not run.", text, StringComparison.Ordinal);
        Assert.Contains("(rule default)", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_RequireApproval_ReturnsABlockedResultWithTheRouteAndDoesNotRun()
    {
        var ran = false;
        var refund = AIFunctionFactory.Create((int amount) => { ran = true; return "refunded"; }, "refund");

        var result = await refund.WithGate(gate.Agent, Options()).InvokeAsync(new AIFunctionArguments { ["amount"] = 500 }, Ct);

        Assert.False(ran);
        var blocked = Assert.IsType<GateBlockedResult>(result);
        Assert.Equal(GateEffect.RequireApproval, blocked.Effect);
        Assert.Equal("finance", blocked.Route);
        Assert.Equal("refund", blocked.Tool);
        var reason = Assert.Single(blocked.Reasons);
        Assert.Equal(new DecisionReason("large refunds go to finance", "refund of 500 needs finance"), reason);
        Assert.Contains("needs approval (finance)", blocked.Message, StringComparison.Ordinal);
        Assert.Equal(blocked.DecisionId, blocked.Decision!.DecisionId);
        var recorded = await gate.Rein.Admin.Decisions.GetAsync(blocked.DecisionId, Ct);
        Assert.Equal(GateEffect.RequireApproval, recorded.Effect);
    }

    [Fact]
    public async Task InvokeAsync_Confirm_ReturnsABlockedResultTheAgentCanDetect()
    {
        var ran = false;
        var email = AIFunctionFactory.Create((string to, string body) => { ran = true; return "sent"; }, "send_email");

        var result = await email.WithGate(gate.Agent, Options()).InvokeAsync(new AIFunctionArguments { ["to"] = "ann@example.com", ["body"] = "hi" }, Ct);

        Assert.False(ran);
        var blocked = Assert.IsType<GateBlockedResult>(result);
        Assert.Equal(GateEffect.Confirm, blocked.Effect);
        Assert.Null(blocked.Route);
        Assert.Equal("send to ann@example.com?", Assert.Single(blocked.Reasons).Message);
        Assert.Contains("needs the user's confirmation", blocked.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InvokeAsync_WithToolName_AsksTheGateUnderThatName()
    {
        var search = AIFunctionFactory.Create((string query) => "found", "search");

        var result = await search.WithGate(gate.Agent, Options(), toolName: "kb_search").InvokeAsync(new AIFunctionArguments { ["query"] = "refund policy" }, Ct);

        Assert.Equal("found", ((JsonElement)result!).GetString());
    }

    [Fact]
    public async Task InvokeAsync_RecordsTheAgentRunAndArgumentsInTheDecisionLog()
    {
        var runId = Guid.NewGuid().ToString("N");
        var lookup = AIFunctionFactory.Create((string customer, int limit) => "ok", "crm_get_orders");

        await lookup.WithGate(gate.Agent, Options(runId) with { SessionId = "chat-9", Principal = new GatePrincipal("u-17", ["customer"]) })
            .InvokeAsync(new AIFunctionArguments { ["customer"] = "c-1", ["limit"] = 3 }, Ct);

        var page = await gate.Rein.Admin.Decisions.ListAsync(new DecisionQuery { RunId = runId }, cancellationToken: Ct);
        var decision = Assert.Single(page.Items);
        Assert.Equal("support-bot", decision.Agent);
        Assert.Equal("v7", decision.Release);
        Assert.Equal("chat-9", decision.SessionId);
        Assert.Equal("u-17", decision.PrincipalId);
        Assert.Equal("crm_get_orders", decision.Tool);
        Assert.Equal(GateEffect.Allow, decision.Effect);
        Assert.Equal(new PolicyReference("refunds", gate.Policy.Version, gate.Policy.Hash), decision.Policy);
        Assert.Equal("c-1", decision.Input.GetProperty("args").GetProperty("customer").GetString());
        Assert.Equal(3, decision.Input.GetProperty("args").GetProperty("limit").GetInt32());
    }

    [Fact]
    public async Task InvokeAsync_WithRunIdProvider_AsksForTheRunAtEachCall()
    {
        var runs = new Queue<string>([Guid.NewGuid().ToString("N"), Guid.NewGuid().ToString("N")]);
        var current = "";
        var options = Options() with { RunIdProvider = () => current = runs.Dequeue() };
        var lookup = AIFunctionFactory.Create(() => "ok", "crm_get_customer").WithGate(gate.Agent, options);

        await lookup.InvokeAsync(cancellationToken: Ct);
        var first = current;
        await lookup.InvokeAsync(cancellationToken: Ct);

        Assert.Single((await gate.Rein.Admin.Decisions.ListAsync(new DecisionQuery { RunId = first }, cancellationToken: Ct)).Items);
        Assert.Single((await gate.Rein.Admin.Decisions.ListAsync(new DecisionQuery { RunId = current }, cancellationToken: Ct)).Items);
        Assert.NotEqual(first, current);
    }

    [Fact]
    public async Task InvokeAsync_ToolKilled_IsDeniedWithTheKillSwitchAndRunsAgainWhenUnkilled()
    {
        var calls = 0;
        var lookup = AIFunctionFactory.Create(() => ++calls, "crm_get_invoices").WithGate(gate.Agent, Options());
        await gate.Rein.Admin.KillSwitches.AddAsync(KillSwitchScopes.Tool, "crm_get_invoices", reason: "incident 42", cancellationToken: Ct);

        var killed = await lookup.InvokeAsync(cancellationToken: Ct);
        await gate.Rein.Admin.KillSwitches.RemoveAsync(KillSwitchScopes.Tool, "crm_get_invoices", cancellationToken: Ct);
        var unkilled = await lookup.InvokeAsync(cancellationToken: Ct);

        Assert.Contains("(rule kill.tool)", Assert.IsType<string>(killed), StringComparison.Ordinal);
        Assert.Equal(1, ((JsonElement)unkilled!).GetInt32());
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task InvokeAsync_KeyWithoutTheActPermission_FailsClosedWithoutRunning()
    {
        var (_, viewerKey) = await gate.Rein.Server.CreateKeyAsync("gate-viewer", KeyRoles.Viewer);
        using var viewer = gate.Rein.ClientWith(viewerKey);
        var ran = false;
        var lookup = AIFunctionFactory.Create(() => ran = true, "crm_get_customer").WithGate(viewer, Options());

        var e = await Assert.ThrowsAsync<ReinGateUnavailableException>(async () => await lookup.InvokeAsync(cancellationToken: Ct));

        Assert.False(ran);
        Assert.Equal("crm_get_customer", e.Tool);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, Assert.IsType<ReinApiException>(e.InnerException).StatusCode);
    }
}
