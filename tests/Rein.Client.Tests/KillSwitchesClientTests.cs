using System.Net;

namespace Rein.Client.Tests;

/// <summary>Kill switches through the SDK against a real server; each test kills targets of its own.</summary>
public sealed class KillSwitchesClientTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private KillSwitchesClient KillSwitches => rein.Admin.KillSwitches;

    private static string NewTarget(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task AddAsync_NewThenAgain_IsCreatedOnceAndListed()
    {
        var tool = NewTarget("tool");

        var added = await KillSwitches.AddAsync(KillSwitchScopes.Tool, tool, reason: "incident 42", cancellationToken: Ct);
        var again = await KillSwitches.AddAsync(KillSwitchScopes.Tool, tool, reason: "incident 42", cancellationToken: Ct);
        var switches = await KillSwitches.ListAsync(Ct);

        Assert.True(added);
        Assert.False(again);
        var on = Assert.Single(switches, s => s.Target == tool);
        Assert.Equal(KillSwitchScopes.Tool, on.Scope);
        Assert.True(string.IsNullOrEmpty(on.Agent));
        Assert.Equal("incident 42", on.Reason);
        Assert.NotNull(on.CreatedBy);
        Assert.InRange(on.CreatedAt, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task AddAsync_ToolForOneAgent_DeniesOnlyThatAgent()
    {
        var tool = NewTarget("one");
        await KillSwitches.AddAsync(KillSwitchScopes.Tool, tool, agent: "bot-a", cancellationToken: Ct);

        var a = await rein.Admin.Gate.DecideAsync(new GateRequest { ActAs = "bot-a", Tool = tool }, Ct);
        var b = await rein.Admin.Gate.DecideAsync(new GateRequest { ActAs = "bot-b", Tool = tool }, Ct);

        Assert.Equal(GateEffect.Deny, a.Effect);
        Assert.Equal("kill.tool", Assert.Single(a.Reasons).Rule);
        Assert.NotEqual("kill.tool", Assert.Single(b.Reasons).Rule);
        Assert.Equal("bot-a", Assert.Single(await KillSwitches.ListAsync(Ct), s => s.Target == tool).Agent);
    }

    [Theory]
    [InlineData(KillSwitchScopes.Agent, "kill.agent")]
    [InlineData(KillSwitchScopes.Release, "kill.release")]
    public async Task AddAsync_AgentOrRelease_DeniesEverythingItDoes(string scope, string rule)
    {
        var target = NewTarget(scope);
        await KillSwitches.AddAsync(scope, target, cancellationToken: Ct);
        var request = scope == KillSwitchScopes.Agent
            ? new GateRequest { ActAs = target, Tool = "anything" }
            : new GateRequest { ActAs = "bot", Release = target, Tool = "anything" };

        var decision = await rein.Admin.Gate.DecideAsync(request, Ct);

        Assert.Equal(GateEffect.Deny, decision.Effect);
        Assert.Equal(rule, Assert.Single(decision.Reasons).Rule);
        Assert.Null(decision.Policy);
    }

    [Fact]
    public async Task RemoveAsync_SwitchThatIsOn_TurnsItOffAndAgainIs404()
    {
        var agent = NewTarget("agent");
        await KillSwitches.AddAsync(KillSwitchScopes.Agent, agent, cancellationToken: Ct);

        await KillSwitches.RemoveAsync(KillSwitchScopes.Agent, agent, cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<ReinApiException>(() => KillSwitches.RemoveAsync(KillSwitchScopes.Agent, agent, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.DoesNotContain(await KillSwitches.ListAsync(Ct), s => s.Target == agent);
    }

    [Fact]
    public async Task AddAsync_UnknownScope_Throws400NamingTheScope()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() => KillSwitches.AddAsync("planet", "earth", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("scope", e.Field);
    }
}
