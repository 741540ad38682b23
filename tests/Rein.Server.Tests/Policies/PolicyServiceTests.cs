using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Core.Identity;
using Rein.Core.Policies;
using Rein.Server.Identity;
using Rein.Server.Policies;
using Rein.Server.Storage;
using Rein.Server.Tests.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Policies;

/// <summary>The lifecycle services over a fresh database of each dialect.</summary>
public abstract class PolicyTestBase : StorageTestBase
{
    private PolicyCatalog? _catalog;
    private PolicyService? _policies;
    private KillSwitchService? _switches;

    protected PolicyCatalog Catalog => _catalog ??= new PolicyCatalog(H.Database);

    protected PolicyService Policies => _policies ??= new PolicyService(H.Database, H.Audit, Catalog, H.Time, NullLogger<PolicyService>.Instance);

    protected KillSwitchService Switches => _switches ??= new KillSwitchService(H.Database, H.Audit, H.Time, NullLogger<KillSwitchService>.Instance);

    protected Task<PolicyPushed> PushAsync(int revision = 1, bool activate = false, string name = "refunds", Caller? caller = null, string mode = "enforce") =>
        Policies.PushAsync(caller ?? H.Admin, PolicySources.Valid(name, revision, mode), $"{name}.yaml", activate, Ct);

    protected Task<long> EpochAsync(string? projectId = null) =>
        H.Database.ReadAsync(c => Catalog.ReadEpochAsync(c, null, projectId ?? H.Admin.ProjectId), Ct);

    protected Task<GateRules> LoadAsync(string? projectId = null) =>
        H.Database.ReadAsync(c => Catalog.LoadAsync(c, null, projectId ?? H.Admin.ProjectId), Ct);

    protected async Task<IReadOnlyList<string>> AuditActionsAsync(string? projectId = null) =>
        [.. (await H.Audit.ListAsync(projectId ?? H.Admin.ProjectId, null, 100, null, Ct)).Select(e => e.Action).Reverse()];

    protected Task<long> CountAsync(string table) =>
        H.Database.ReadAsync(c => c.ExecuteScalarAsync<long>($"SELECT count(*) FROM {table}"), Ct);
}

public abstract class PolicyServiceTests : PolicyTestBase
{
    [Fact]
    public async Task PushAsync_NewPolicy_StoresVersionOneInactive()
    {
        var pushed = await PushAsync();

        Assert.True(pushed.Created);
        Assert.False(pushed.Active);
        var v = pushed.Version;
        Assert.Equal(("refunds", 1, PolicyMode.Enforce, 1, 1, H.Admin.KeyId), (v.Name, v.Version, v.Mode, v.Rules, v.TestsPassed, v.CreatedBy));
        Assert.Equal(["support-*"], v.Agents);
        Assert.StartsWith("sha256:", v.Hash, StringComparison.Ordinal);
        Assert.Equal(H.Time.GetUtcNow(), v.CreatedAt);
        var history = await Policies.GetAsync(H.Admin, "refunds", Ct);
        Assert.Equal((1, (int?)null), (history!.Policy.LatestVersion, history.Policy.ActiveVersion));
    }

    [Fact]
    public async Task PushAsync_ChangedSource_IsTheNextVersion()
    {
        await PushAsync(1);
        await PushAsync(2);

        var third = await PushAsync(3);

        Assert.Equal(3, third.Version.Version);
        var history = await Policies.GetAsync(H.Admin, "refunds", Ct);
        Assert.Equal([3, 2, 1], history!.Versions.Select(v => v.Version));
    }

    [Fact]
    public async Task PushAsync_SameSourceAgain_ReturnsTheExistingVersionAndChangesNothing()
    {
        var first = await PushAsync(1);
        await PushAsync(2);
        var epoch = await EpochAsync();
        var audited = (await AuditActionsAsync()).Count;

        var again = await PushAsync(1);

        Assert.False(again.Created);
        Assert.Equivalent(first.Version, again.Version, strict: true);
        Assert.Equal(2, (await Policies.GetAsync(H.Admin, "refunds", Ct))!.Policy.LatestVersion);
        Assert.Equal(epoch, await EpochAsync());
        Assert.Equal(audited, (await AuditActionsAsync()).Count);
    }

    [Fact]
    public async Task PushAsync_SameSourceWithActivate_ActivatesTheExistingVersion()
    {
        await PushAsync(1);
        await PushAsync(2, activate: true);

        var again = await PushAsync(1, activate: true);

        Assert.False(again.Created);
        Assert.True(again.Active);
        Assert.Equal(1, (await Policies.GetAsync(H.Admin, "refunds", Ct))!.Policy.ActiveVersion);
    }

    [Fact]
    public async Task PushAsync_WithActivate_IsActiveAtOnceAndTheGateSeesIt()
    {
        var pushed = await PushAsync(activate: true);

        Assert.True(pushed.Active);
        var rules = await LoadAsync();
        var active = Assert.Single(rules.Policies);
        Assert.Equal((1, pushed.Version.Hash), (active.Version, active.Policy.Hash));
        Assert.Equal(["policy.push", "policy.activate"], (await AuditActionsAsync()).Where(a => a.StartsWith("policy.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task PushAsync_InvalidPolicy_Is422WithEveryProblemAtLineAndColumn_AndStoresNothing()
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.PushAsync(H.Admin, PolicySources.UnknownKey, "refunds.yaml", true, Ct));

        Assert.Equal(422, problem.Status);
        Assert.Equal("Invalid policy", problem.Title);
        var problems = Assert.IsAssignableFrom<IReadOnlyList<PolicyProblem>>(problem.Extensions["problems"]);
        var unknown = Assert.Single(problems);
        Assert.Equal(("refunds.yaml", PolicySources.UnknownKeyLine, PolicySources.UnknownKeyColumn), (unknown.File, unknown.Line, unknown.Column));
        Assert.Contains("efect", unknown.Message, StringComparison.Ordinal);
        Assert.StartsWith($"refunds.yaml:{PolicySources.UnknownKeyLine}:{PolicySources.UnknownKeyColumn}: ", problem.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("policies"));
        Assert.Equal(0, await EpochAsync());
    }

    [Fact]
    public async Task PushAsync_FailingEmbeddedTest_Is422WithTheFailures_AndStoresNothing()
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.PushAsync(H.Admin, PolicySources.FailingTest, null, false, Ct));

        Assert.Equal(422, problem.Status);
        Assert.Equal("Policy tests failed", problem.Title);
        var failures = Assert.IsAssignableFrom<IReadOnlyList<PolicyTestOutcome>>(problem.Extensions["tests"]);
        var failure = Assert.Single(failures);
        Assert.Equal("lookups are denied", failure.Name);
        Assert.False(failure.Passed);
        Assert.False(string.IsNullOrEmpty(failure.Failure));
        Assert.Contains("1 of 1 tests", problem.Message, StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync("policy_versions"));
    }

    [Fact]
    public async Task PushAsync_WithConditionsAndTheirTests_StoresTheVersion_AnUnknownNameInAConditionIs422AtItsLine()
    {
        const string source = """
            name: payments
            agents: ["support-*"]
            default: allow
            rules:
              - name: large refunds go to finance
                tools: ["payments.refund"]
                when: args.amount > 50
                effect: require_approval
                route: finance
            tests:
              - name: big refund needs finance
                input: { tool: payments.refund, args: { amount: 500 } }
                expect: { effect: require_approval, route: finance }
              - name: small refund passes
                input: { tool: payments.refund, args: { amount: 5 } }
                expect: { effect: allow }
            """;

        var pushed = await Policies.PushAsync(H.Admin, source, "payments.yaml", true, Ct);
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() =>
            Policies.PushAsync(H.Admin, source.Replace("args.amount > 50", "argz.amount > 50", StringComparison.Ordinal), "payments.yaml", false, Ct));

        Assert.Equal((2, true), (pushed.Version.TestsPassed, pushed.Active));
        Assert.Equal(422, problem.Status);
        var unknown = Assert.Single(Assert.IsAssignableFrom<IReadOnlyList<PolicyProblem>>(problem.Extensions["problems"]));
        Assert.Equal(7, unknown.Line);
        Assert.Contains("argz", unknown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Refunds")]
    [InlineData("-refunds")]
    [InlineData("refunds policy")]
    public async Task PushAsync_NameUnfitForUrls_Is422(string name)
    {
        var source = PolicySources.Valid().Replace("name: refunds", $"name: \"{name}\"", StringComparison.Ordinal);

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.PushAsync(H.Admin, source, null, false, Ct));

        Assert.Equal(422, problem.Status);
        Assert.NotEmpty(Assert.IsAssignableFrom<IReadOnlyList<PolicyProblem>>(problem.Extensions["problems"]));
    }

    [Fact]
    public async Task PushAsync_SourceOverMaxSourceBytes_Is413()
    {
        var max = PolicyLimits.Default.MaxSourceBytes;
        var source = PolicySources.Valid() + "\n#" + new string('x', max);

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.PushAsync(H.Admin, source, null, false, Ct));

        Assert.Equal(413, problem.Status);
        Assert.Contains($"at most {max} bytes", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushAsync_MissingSource_Is400NamingIt()
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.PushAsync(H.Admin, null, null, false, Ct));

        Assert.Equal((400, "source"), (problem.Status, problem.Field));
    }

    [Fact]
    public async Task PushAsync_FileNameOverMaxFileLength_Is400()
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() =>
            Policies.PushAsync(H.Admin, PolicySources.Valid(), new string('f', PolicyService.MaxFileLength + 1), false, Ct));

        Assert.Equal((400, "file"), (problem.Status, problem.Field));
    }

    [Fact]
    public async Task PushAsync_NewPolicyBeyondMaxPoliciesPerProject_Is409_ButANewVersionOfOneIsNot()
    {
        await H.Database.WriteAsync((c, t) => c.ExecuteAsync(
            "INSERT INTO policies (project_id, name, latest_version, active_version, created_at, updated_at) VALUES (@p, @name, 1, NULL, 0, 0)",
            Enumerable.Range(0, PolicyService.MaxPoliciesPerProject - 1).Select(i => new { p = H.Admin.ProjectId, name = $"seeded-{i}" }), t), Ct);
        await PushAsync(1);

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => PushAsync(1, name: "one-too-many"));

        Assert.Equal(409, problem.Status);
        Assert.Contains($"{PolicyService.MaxPoliciesPerProject} policies", problem.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await PushAsync(2)).Version.Version);
    }

    [Theory]
    [InlineData(Role.Agent)]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Approver)]
    public async Task Changes_ByANonAdmin_Are403(Role role)
    {
        await PushAsync(1, activate: true);
        var (caller, _) = await H.CreateCallerAsync(role);

        foreach (var change in new Func<Task>[]
        {
            () => PushAsync(2, caller: caller),
            () => Policies.ActivateAsync(caller, "refunds", 1, Ct),
            () => Policies.RollbackAsync(caller, "refunds", Ct),
            () => Policies.DeactivateAsync(caller, "refunds", Ct),
        })
        {
            Assert.Equal(403, (await Assert.ThrowsAsync<ReinProblemException>(change)).Status);
        }

        Assert.Equal(1, (await Policies.GetAsync(H.Admin, "refunds", Ct))!.Policy.ActiveVersion);
    }

    [Fact]
    public async Task Reads_ByAViewer_AreAllowed_ByAnAgentAre403()
    {
        await PushAsync(1);
        await PushAsync(2);
        var (viewer, _) = await H.CreateCallerAsync(Role.Viewer);
        var (agent, _) = await H.CreateCallerAsync(Role.Agent);

        Assert.Single(await Policies.ListAsync(viewer, Ct));
        Assert.NotNull(await Policies.GetAsync(viewer, "refunds", Ct));
        Assert.NotNull(await Policies.GetVersionAsync(viewer, "refunds", 1, Ct));
        Assert.NotEmpty((await Policies.DiffAsync(viewer, "refunds", 1, 2, Ct)).Lines);
        Assert.Equal(403, (await Assert.ThrowsAsync<ReinProblemException>(() => Policies.ListAsync(agent, Ct))).Status);
    }

    [Fact]
    public async Task Versions_AreImmutable_OldVersionsKeepTheirSourceAndHash()
    {
        var first = await PushAsync(1);
        await PushAsync(2, activate: true);

        var detail = await Policies.GetVersionAsync(H.Admin, "refunds", 1, Ct);

        Assert.Equal(PolicySources.Valid("refunds", 1), detail!.Version.Source);
        Assert.Equal(first.Version.Hash, detail.Version.Hash);
        Assert.False(detail.Active);
        Assert.Equal(1, detail.Tests.Passed);
        Assert.Equal(0, detail.Tests.Failed);
    }

    [Fact]
    public async Task ActivateAsync_MovesTheEpochAndIsAudited_AndTheGateSeesTheVersion()
    {
        await PushAsync(1);
        var second = await PushAsync(2);
        var epoch = await EpochAsync();

        var active = await Policies.ActivateAsync(H.Admin, "refunds", 2, Ct);

        Assert.Equivalent(second.Version, active, strict: true);
        Assert.Equal(epoch + 1, await EpochAsync());
        var entry = (await H.Audit.ListAsync(H.Admin.ProjectId, null, 1, null, Ct))[0];
        Assert.Equal(("policy.activate", "policy", "refunds", H.Admin.KeyId), (entry.Action, entry.ObjectType, entry.ObjectId, entry.Actor));
        Assert.NotEqual(entry.BeforeDigest, entry.AfterDigest);
        var rules = await LoadAsync();
        Assert.Equal(epoch + 1, rules.Epoch);
        Assert.Equal(2, Assert.Single(rules.Policies).Version);
    }

    [Fact]
    public async Task ActivateAsync_TheActiveVersionAgain_ChangesNothing()
    {
        await PushAsync(1, activate: true);
        var epoch = await EpochAsync();
        var audited = (await AuditActionsAsync()).Count;

        await Policies.ActivateAsync(H.Admin, "refunds", 1, Ct);

        Assert.Equal(epoch, await EpochAsync());
        Assert.Equal(audited, (await AuditActionsAsync()).Count);
    }

    [Fact]
    public async Task ActivateAsync_UnknownVersionOrPolicy_Is404()
    {
        await PushAsync(1);

        var version = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.ActivateAsync(H.Admin, "refunds", 2, Ct));
        var policy = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.ActivateAsync(H.Admin, "payments", 1, Ct));

        Assert.Equal(404, version.Status);
        Assert.Contains("no version 2; its versions are 1 to 1", version.Message, StringComparison.Ordinal);
        Assert.Equal(404, policy.Status);
    }

    [Fact]
    public async Task RollbackAsync_ActivatesTheVersionActiveBeforeTheCurrentOne()
    {
        await PushAsync(1, activate: true);
        await PushAsync(2);
        await PushAsync(3, activate: true);
        var epoch = await EpochAsync();

        var back = await Policies.RollbackAsync(H.Admin, "refunds", Ct);

        Assert.Equal(1, back.Version);
        Assert.Equal(epoch + 1, await EpochAsync());
        Assert.Equal(1, Assert.Single((await LoadAsync()).Policies).Version);
        Assert.Equal("policy.rollback", (await AuditActionsAsync())[^1]);
        var history = await Policies.GetAsync(H.Admin, "refunds", Ct);
        Assert.Equal([(1, "rollback"), (3, "activate"), (1, "activate")], history!.Activations.Select(a => (a.Version ?? 0, a.Action)));
    }

    [Fact]
    public async Task RollbackAsync_Twice_ReturnsToTheVersionRolledBackFrom()
    {
        await PushAsync(1, activate: true);
        await PushAsync(2, activate: true);
        await Policies.RollbackAsync(H.Admin, "refunds", Ct);

        var again = await Policies.RollbackAsync(H.Admin, "refunds", Ct);

        Assert.Equal(2, again.Version);
    }

    [Fact]
    public async Task RollbackAsync_NothingActiveBefore_Is409AndChangesNothing()
    {
        await PushAsync(1, activate: true);
        var epoch = await EpochAsync();

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.RollbackAsync(H.Admin, "refunds", Ct));

        Assert.Equal(409, problem.Status);
        Assert.Contains("no active version before version 1", problem.Message, StringComparison.Ordinal);
        Assert.Equal(epoch, await EpochAsync());
        Assert.Equal(1, (await Policies.GetAsync(H.Admin, "refunds", Ct))!.Policy.ActiveVersion);
    }

    [Fact]
    public async Task RollbackAsync_AfterDeactivation_Is409()
    {
        await PushAsync(1, activate: true);
        await PushAsync(2, activate: true);
        await Policies.DeactivateAsync(H.Admin, "refunds", Ct);

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.RollbackAsync(H.Admin, "refunds", Ct));

        Assert.Equal(409, problem.Status);
        Assert.Contains("no active version to roll back from", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeactivateAsync_LeavesNothingActive_MovesTheEpoch_AndIsAudited()
    {
        await PushAsync(1, activate: true);
        var epoch = await EpochAsync();

        var after = await Policies.DeactivateAsync(H.Admin, "refunds", Ct);

        Assert.Null(after.ActiveVersion);
        Assert.Equal(epoch + 1, await EpochAsync());
        Assert.Empty((await LoadAsync()).Policies);
        Assert.Equal("policy.deactivate", (await AuditActionsAsync())[^1]);
        var again = await Policies.DeactivateAsync(H.Admin, "refunds", Ct);
        Assert.Null(again.ActiveVersion);
        Assert.Equal(epoch + 1, await EpochAsync());
    }

    [Fact]
    public async Task Changes_AuditChain_StaysValid()
    {
        await PushAsync(1, activate: true);
        await PushAsync(2, activate: true);
        await Policies.RollbackAsync(H.Admin, "refunds", Ct);
        await Policies.DeactivateAsync(H.Admin, "refunds", Ct);

        var verification = await H.Audit.VerifyAsync(H.Admin.ProjectId, Ct);

        Assert.True(verification.Valid);
        Assert.Equal(
            ["policy.push", "policy.activate", "policy.push", "policy.activate", "policy.rollback", "policy.deactivate"],
            (await AuditActionsAsync()).Where(a => a.StartsWith("policy.", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task ListAsync_ShowsModeAndAgentsOfTheActiveVersion_OrElseTheLatest()
    {
        await PushAsync(1, activate: true, mode: "audit");
        await PushAsync(2, mode: "warn");
        await PushAsync(1, name: "billing", mode: "warn");

        var items = await Policies.ListAsync(H.Admin, Ct);

        Assert.Equal(
            [("billing", (int?)null, 1, PolicyMode.Warn), ("refunds", 1, 2, PolicyMode.Audit)],
            items.Select(p => (p.Name, p.ActiveVersion, p.LatestVersion, p.Mode)));
    }

    [Fact]
    public async Task GetAsync_MoreVersionsThanMaxHistory_ShowsTheNewest()
    {
        await PolicySources.SeedVersionsAsync(H.Database, H.Admin.ProjectId, "refunds", PolicyService.MaxHistory + 1, Ct);

        var history = await Policies.GetAsync(H.Admin, "refunds", Ct);

        Assert.Equal(PolicyService.MaxHistory, history!.Versions.Count);
        Assert.Equal(PolicyService.MaxHistory + 1, history.Versions[0].Version);
        Assert.Equal(2, history.Versions[^1].Version);
    }

    [Fact]
    public async Task DiffAsync_TwoVersions_GivesTheChangedLinesWithNumbers()
    {
        await PushAsync(1);
        await PushAsync(2);

        var diff = await Policies.DiffAsync(H.Admin, "refunds", 1, 2, Ct);

        Assert.Contains(diff.Lines, l => l is { Kind: DiffKind.Removed, Text: "# revision 1", OldLine: 1 });
        Assert.Contains(diff.Lines, l => l is { Kind: DiffKind.Added, Text: "# revision 2", NewLine: 1 });
        Assert.Contains(diff.Lines, l => l is { Kind: DiffKind.Same, Text: "name: refunds", OldLine: 2, NewLine: 2 });
        var missing = await Assert.ThrowsAsync<ReinProblemException>(() => Policies.DiffAsync(H.Admin, "refunds", 1, 9, Ct));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public async Task OtherProject_SeesNoneOfThePolicies_AndKeepsItsOwnVersions()
    {
        await PushAsync(1, activate: true);
        await PushAsync(2);
        var (other, _) = await H.CreateProjectAsync("elsewhere");

        Assert.Empty(await Policies.ListAsync(other, Ct));
        Assert.Null(await Policies.GetAsync(other, "refunds", Ct));
        Assert.Null(await Policies.GetVersionAsync(other, "refunds", 1, Ct));
        Assert.Equal(404, (await Assert.ThrowsAsync<ReinProblemException>(() => Policies.ActivateAsync(other, "refunds", 2, Ct))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<ReinProblemException>(() => Policies.RollbackAsync(other, "refunds", Ct))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<ReinProblemException>(() => Policies.DeactivateAsync(other, "refunds", Ct))).Status);
        Assert.Equal(404, (await Assert.ThrowsAsync<ReinProblemException>(() => Policies.DiffAsync(other, "refunds", 1, 2, Ct))).Status);
        Assert.Empty((await LoadAsync("elsewhere")).Policies);

        var theirs = await PushAsync(2, caller: other);

        Assert.Equal(1, theirs.Version.Version);
        Assert.True(theirs.Created);
        Assert.Equal(1, (await Policies.GetAsync(H.Admin, "refunds", Ct))!.Policy.ActiveVersion);
    }

    [Fact]
    public async Task ConcurrentPushes_OfNewSources_GetDistinctVersionNumbers()
    {
        var pushes = await Task.WhenAll(Enumerable.Range(1, 8).Select(r => Task.Run(() => PushAsync(r), Ct)));

        Assert.Equal(Enumerable.Range(1, 8), pushes.Select(p => p.Version.Version).Order());
    }

    [Fact]
    public async Task ConcurrentActivations_RecordEveryChangeInOrder()
    {
        for (var r = 1; r <= 4; r++)
        {
            await PushAsync(r);
        }

        await Task.WhenAll(Enumerable.Range(1, 4).Select(v => Task.Run(() => Policies.ActivateAsync(H.Admin, "refunds", v, Ct), Ct)));

        var history = await Policies.GetAsync(H.Admin, "refunds", Ct);
        Assert.Equal([4, 3, 2, 1], history!.Activations.Select(a => a.Seq));
        Assert.Equal(history.Activations[0].Version, history.Policy.ActiveVersion);
    }
}

public sealed class SqlitePolicyServiceTests : PolicyServiceTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);
}

public sealed class PostgresPolicyServiceTests(PostgresCluster cluster) : PolicyServiceTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}
