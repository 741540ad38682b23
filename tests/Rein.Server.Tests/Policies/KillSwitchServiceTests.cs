using Dapper;
using Rein.Core.Identity;
using Rein.Server.Policies;
using Rein.Server.Storage;
using Rein.Server.Tests.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Policies;

public abstract class KillSwitchServiceTests : PolicyTestBase
{
    [Fact]
    public async Task AddAsync_NewSwitch_IsCreatedAuditedAndMovesTheEpoch()
    {
        var added = await Switches.AddAsync(H.Admin, " Tool ", " payments.refund ", null, " incident 42 ", Ct);

        Assert.True(added.Created);
        Assert.Equal(
            new KillSwitch("tool", "payments.refund", "", "incident 42", H.Time.GetUtcNow(), H.Admin.KeyId),
            added.Switch);
        Assert.Equal(1, await EpochAsync());
        var entry = (await H.Audit.ListAsync(H.Admin.ProjectId, null, 1, null, Ct))[0];
        Assert.Equal(("kill.add", "kill_switch", "tool:payments.refund", H.Admin.KeyId), (entry.Action, entry.ObjectType, entry.ObjectId, entry.Actor));
        Assert.Null(entry.BeforeDigest);
        Assert.Contains("incident 42", entry.Details!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AddAsync_TheSameSwitchAgain_IsNotCreated_KeepsItsReason_AndChangesNothing()
    {
        await Switches.AddAsync(H.Admin, "agent", "support-bot", null, "first", Ct);
        var audited = (await AuditActionsAsync()).Count;
        H.Time.Advance(TimeSpan.FromMinutes(1));

        var again = await Switches.AddAsync(H.Admin, "agent", "support-bot", null, "second", Ct);

        Assert.False(again.Created);
        Assert.Equal("first", again.Switch.Reason);
        Assert.Equal(1, await EpochAsync());
        Assert.Equal(audited, (await AuditActionsAsync()).Count);
        Assert.Single(await Switches.ListAsync(H.Admin, Ct));
    }

    [Fact]
    public async Task AddAsync_AToolSwitchForOneAgent_IsDistinctFromTheOneForEveryAgent()
    {
        await Switches.AddAsync(H.Admin, "tool", "email.send", null, null, Ct);
        var forOne = await Switches.AddAsync(H.Admin, "tool", "email.send", "support-bot", null, Ct);

        Assert.True(forOne.Created);
        Assert.Equal("tool:email.send@support-bot", KillSwitchService.Describe(forOne.Switch));
        Assert.Equal([("email.send", ""), ("email.send", "support-bot")], (await Switches.ListAsync(H.Admin, Ct)).Select(s => (s.Target, s.Agent)));
    }

    [Theory]
    [InlineData(null, "x", null, "scope")]
    [InlineData("model", "x", null, "scope")]
    [InlineData("tool", null, null, "target")]
    [InlineData("tool", "  ", null, "target")]
    [InlineData("tool", "a\u0007b", null, "target")]
    [InlineData("agent", "support-bot", "other-bot", "agent")]
    [InlineData("release", "v7", "support-bot", "agent")]
    public async Task AddAsync_InvalidInput_Is400NamingTheField(string? scope, string? target, string? agent, string field)
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Switches.AddAsync(H.Admin, scope, target, agent, null, Ct));

        Assert.Equal((400, field), (problem.Status, problem.Field));
        Assert.Equal(0, await EpochAsync());
    }

    [Fact]
    public async Task AddAsync_TargetOverMaxTargetLength_Is400_AtTheLimitIsAccepted()
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() =>
            Switches.AddAsync(H.Admin, "tool", new string('t', KillSwitchService.MaxTargetLength + 1), null, null, Ct));

        Assert.Equal("target", problem.Field);
        Assert.True((await Switches.AddAsync(H.Admin, "tool", new string('t', KillSwitchService.MaxTargetLength), null, null, Ct)).Created);
    }

    [Fact]
    public async Task AddAsync_ReasonOverMaxReasonLength_Is400()
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() =>
            Switches.AddAsync(H.Admin, "tool", "x", null, new string('r', KillSwitchService.MaxReasonLength + 1), Ct));

        Assert.Equal("reason", problem.Field);
    }

    [Fact]
    public async Task AddAsync_BeyondMaxPerProject_Is409()
    {
        await H.Database.WriteAsync((c, t) => c.ExecuteAsync(
            "INSERT INTO kill_switches (project_id, scope, target, agent, reason, created_at, created_by) VALUES (@p, 'tool', @target, '', NULL, 0, NULL)",
            Enumerable.Range(0, KillSwitchService.MaxPerProject).Select(i => new { p = H.Admin.ProjectId, target = $"tool-{i}" }), t), Ct);

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Switches.AddAsync(H.Admin, "tool", "one-more", null, null, Ct));

        Assert.Equal(409, problem.Status);
        Assert.False((await Switches.AddAsync(H.Admin, "tool", "tool-7", null, null, Ct)).Created);
    }

    [Fact]
    public async Task RemoveAsync_AnExistingSwitch_RemovesItAuditsAndMovesTheEpoch()
    {
        await Switches.AddAsync(H.Admin, "release", "v7", null, "bad release", Ct);

        var removed = await Switches.RemoveAsync(H.Admin, "release", "v7", null, Ct);

        Assert.Equal(("release", "v7", "bad release"), (removed.Scope, removed.Target, removed.Reason));
        Assert.Empty(await Switches.ListAsync(H.Admin, Ct));
        Assert.Equal(2, await EpochAsync());
        var entry = (await H.Audit.ListAsync(H.Admin.ProjectId, null, 1, null, Ct))[0];
        Assert.Equal(("kill.remove", "release:v7"), (entry.Action, entry.ObjectId));
        Assert.Null(entry.AfterDigest);
        Assert.Empty((await LoadAsync()).KillSwitches);
    }

    [Fact]
    public async Task RemoveAsync_NoSuchSwitch_Is404AndChangesNothing()
    {
        await Switches.AddAsync(H.Admin, "tool", "email.send", "support-bot", null, Ct);

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Switches.RemoveAsync(H.Admin, "tool", "email.send", null, Ct));

        Assert.Equal(404, problem.Status);
        Assert.Contains("no kill switch tool:email.send", problem.Message, StringComparison.Ordinal);
        Assert.Single(await Switches.ListAsync(H.Admin, Ct));
        Assert.Equal(1, await EpochAsync());
    }

    [Fact]
    public async Task Switches_OfAnotherProject_AreNeitherListedNorRemovable()
    {
        await Switches.AddAsync(H.Admin, "agent", "support-bot", null, null, Ct);
        var (other, _) = await H.CreateProjectAsync("elsewhere");

        Assert.Empty(await Switches.ListAsync(other, Ct));
        Assert.Empty((await LoadAsync("elsewhere")).KillSwitches);
        Assert.Equal(404, (await Assert.ThrowsAsync<ReinProblemException>(() => Switches.RemoveAsync(other, "agent", "support-bot", null, Ct))).Status);
        Assert.True((await Switches.AddAsync(other, "agent", "support-bot", null, null, Ct)).Created);
        Assert.Equal(1, await EpochAsync("elsewhere"));
    }

    [Theory]
    [InlineData(Role.Agent)]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Approver)]
    public async Task Changes_ByANonAdmin_Are403(Role role)
    {
        var (caller, _) = await H.CreateCallerAsync(role);

        Assert.Equal(403, (await Assert.ThrowsAsync<ReinProblemException>(() => Switches.AddAsync(caller, "tool", "x", null, null, Ct))).Status);
        Assert.Equal(403, (await Assert.ThrowsAsync<ReinProblemException>(() => Switches.RemoveAsync(caller, "tool", "x", null, Ct))).Status);
    }

    [Fact]
    public async Task ListAsync_ByAViewer_IsAllowed_ByAnAgentIs403()
    {
        await Switches.AddAsync(H.Admin, "tool", "x", null, null, Ct);
        var (viewer, _) = await H.CreateCallerAsync(Role.Viewer);
        var (agent, _) = await H.CreateCallerAsync(Role.Agent);

        Assert.Single(await Switches.ListAsync(viewer, Ct));
        Assert.Equal(403, (await Assert.ThrowsAsync<ReinProblemException>(() => Switches.ListAsync(agent, Ct))).Status);
    }
}

public sealed class SqliteKillSwitchServiceTests : KillSwitchServiceTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);
}

public sealed class PostgresKillSwitchServiceTests(PostgresCluster cluster) : KillSwitchServiceTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}
