using System.Net;

namespace Rein.Client.Tests;

/// <summary>The decision log through the SDK: decisions made through the gate of a real server, read back.</summary>
public sealed class DecisionsClientTests(GateFixture gate) : IClassFixture<GateFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DecideAsync_RequireApproval_AnswersWithPolicyRouteAndArgumentsHash()
    {
        var decision = await gate.Agent.Gate.DecideAsync(new GateRequest { Agent = "support-bot", Tool = "refund", Args = new() { ["amount"] = 75 } }, Ct);

        Assert.Equal(GateEffect.RequireApproval, decision.Effect);
        Assert.Equal(new PolicyReference("refunds", gate.Policy.Version, gate.Policy.Hash), decision.Policy);
        Assert.Equal(PolicyModes.Enforce, decision.Mode);
        Assert.Equal("finance", decision.Approval?.Route);
        Assert.False(string.IsNullOrEmpty(decision.Approval?.ArgsHash));
        Assert.Equal(new DecisionReason("large refunds go to finance", "refund of 75 needs finance"), Assert.Single(decision.Reasons));
    }

    [Fact]
    public async Task ListAsync_FilteredByRunAndEffect_ReturnsThoseDecisionsNewestFirst()
    {
        var run = Guid.NewGuid().ToString("N");
        var first = await Decide(run, "refund", 10);
        var second = await Decide(run, "refund", 900);
        var third = await Decide(run, "crm_get_customer", 1);

        var all = await gate.Rein.Admin.Decisions.ListAsync(new DecisionQuery { RunId = run }, cancellationToken: Ct);
        var allowed = await gate.Rein.Admin.Decisions.ListAsync(new DecisionQuery { RunId = run, Effect = GateEffect.Allow }, cancellationToken: Ct);
        var byTool = await gate.Rein.Admin.Decisions.ListAsync(new DecisionQuery { RunId = run, Tool = "refund", Rule = "large refunds go to finance" }, cancellationToken: Ct);

        Assert.Equal([third.DecisionId, second.DecisionId, first.DecisionId], all.Items.Select(d => d.Id));
        Assert.Equal([third.DecisionId, first.DecisionId], allowed.Items.Select(d => d.Id));
        Assert.Equal([second.DecisionId], byTool.Items.Select(d => d.Id));
    }

    [Fact]
    public async Task ListAllAsync_WithPagesOfOne_WalksEveryDecisionOnce()
    {
        var run = Guid.NewGuid().ToString("N");
        var made = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            made.Add((await Decide(run, "refund", i + 1)).DecisionId);
        }

        var listed = new List<string>();
        await foreach (var decision in gate.Rein.Admin.Decisions.ListAllAsync(new DecisionQuery { RunId = run }, pageSize: 1, Ct))
        {
            listed.Add(decision.Id);
        }

        made.Reverse();
        Assert.Equal(made, listed);
    }

    [Fact]
    public async Task GetAsync_Decision_HasItsRulesRunStateAndLatency()
    {
        var run = Guid.NewGuid().ToString("N");
        await Decide(run, "refund", 5);
        var made = await Decide(run, "refund", 6);

        var decision = await gate.Rein.Admin.Decisions.GetAsync(made.DecisionId, Ct);

        Assert.Equal(made.DecisionId, decision.Id);
        Assert.Equal(run, decision.RunId);
        Assert.Equal(GateEffect.Allow, decision.Effect);
        Assert.Equal(["small refunds"], decision.Rules);
        Assert.True(decision.LatencyUs > 0);
        Assert.Equal(6, decision.Input.GetProperty("args").GetProperty("amount").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Object, decision.RunState.ValueKind);
        Assert.InRange(decision.At, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task GetAsync_UnknownDecision_Throws404()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() => gate.Rein.Admin.Decisions.GetAsync("no-such-decision", Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task DecideAsync_ViewerKey_Throws403()
    {
        var (_, viewerKey) = await gate.Rein.Server.CreateKeyAsync("decisions-viewer", KeyRoles.Viewer);
        using var viewer = gate.Rein.ClientWith(viewerKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => viewer.Gate.DecideAsync(new GateRequest { Agent = "support-bot", Tool = "refund" }, Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }

    private Task<Decision> Decide(string run, string tool, int amount) =>
        gate.Agent.Gate.DecideAsync(new GateRequest { Agent = "support-bot", Tool = tool, RunId = run, Args = new() { ["amount"] = amount } }, Ct);
}
