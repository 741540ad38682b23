using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rein.Testing;
using static Rein.Server.Tests.Approvals.ApprovalHarness;

namespace Rein.Server.Tests.Approvals;

/// <summary>An approval's token belongs to the key whose gate call opened the request: no other key of the project is
/// given it, and no other agent or key can redeem it (nor use it up). On SQLite and on PostgreSQL.</summary>
public abstract class ApprovalIdentityTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<string?> DatabaseAsync();

    private static string Run() => Guid.NewGuid().ToString("N");

    private static string Text(JsonElement e, string name) => e.GetProperty(name).GetString()!;

    private static string Reason(JsonElement decision) => decision.GetProperty("reasons")[0].GetProperty("rule").GetString()!;

    [Fact]
    public async Task Get_ApprovedRequest_TokenOnlyToTheKeyWhoseCallOpenedIt()
    {
        await using var h = await ApprovalHarness.StartAsync(await DatabaseAsync());
        var id = await h.OpenAsync(Run());
        await h.ApproveAsync(id);
        var otherAgent = await h.Gate.AgentFor("thief-bot");
        using var sameAgentOtherKey = h.Host.Client(await GateHarnessKeyAsync(h, "refund-bot"));

        var mine = await h.GetAsync(id, h.Agent);
        Assert.Matches("^rat_", Text(mine, "token"));
        foreach (var other in new[] { otherAgent, sameAgentOtherKey, h.Admin, h.Viewer, h.Approver })
        {
            var seen = await h.GetAsync(id, other);
            Assert.Equal("approved", Text(seen, "status"));
            Assert.False(seen.TryGetProperty("token", out _), "a key that did not open the request was given its token");
        }
    }

    [Fact]
    public async Task Redeem_ByAnotherAgentOrKey_DeniedWithoutUsingTheTokenAndTheRightfulAgentStillRedeems()
    {
        await using var h = await ApprovalHarness.StartAsync(await DatabaseAsync());
        var run = Run();
        var id = await h.OpenAsync(run);
        await h.ApproveAsync(id);
        var token = await h.TokenAsync(id);
        var thief = await h.Gate.AgentFor("thief-bot");

        // Another agent naming the rightful agent's run is refused outright.
        var inRun = await thief.PostAsJsonAsync("/api/v1/gate", Refund(500, run, token, agent: "thief-bot"), Ct);
        Assert.Equal(HttpStatusCode.Forbidden, inRun.StatusCode);

        // Outside that run, the token is another agent's: denied, saying whose.
        var outside = await h.AskAsync(Refund(500, null, token, agent: "thief-bot"), thief);
        Assert.Equal(("deny", "approval.invalid_token"), (Text(outside, "effect"), Reason(outside)));
        Assert.Contains("'refund-bot'", outside.GetProperty("reasons")[0].GetProperty("message").GetString(), StringComparison.Ordinal);

        // Another key of the same agent did not open the request either.
        using var sameAgentOtherKey = h.Host.Client(await GateHarnessKeyAsync(h, "refund-bot"));
        var otherKey = await h.AskAsync(Refund(500, run, token), sameAgentOtherKey);
        Assert.Equal(("deny", "approval.invalid_token"), (Text(otherKey, "effect"), Reason(otherKey)));

        // None of them used the token: the agent that asked redeems it, once.
        Assert.Equal(token, await h.TokenAsync(id));
        var allowed = await h.AskAsync(Refund(500, run, token));
        Assert.Equal(("allow", "approval"), (Text(allowed, "effect"), Reason(allowed)));
    }

    private static Task<string> GateHarnessKeyAsync(ApprovalHarness h, string name) => KeyAsync(h.Admin, name, "agent");
}

public sealed class SqliteApprovalIdentityTests : ApprovalIdentityTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresApprovalIdentityTests(PostgresCluster cluster) : ApprovalIdentityTests
{
    protected override async Task<string?> DatabaseAsync() => await cluster.CreateDatabaseAsync();
}
