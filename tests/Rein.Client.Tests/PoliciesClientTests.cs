using System.Net;

namespace Rein.Client.Tests;

/// <summary>The policy lifecycle through the SDK against a real server. Each test pushes policies of its own name.</summary>
public sealed class PoliciesClientTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private PoliciesClient Policies => rein.Admin.Policies;

    private static string NewPolicy(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task PushAsync_NewThenSameSource_CreatesOneVersionAndReturnsItAgain()
    {
        var name = NewPolicy("push");
        var source = PolicyFiles.Refunds(name);

        var first = await Policies.PushAsync(source, "refunds.yaml", cancellationToken: Ct);
        var again = await Policies.PushAsync(source, "refunds.yaml", cancellationToken: Ct);

        Assert.True(first.Created);
        Assert.False(again.Created);
        Assert.Equal((first.Version.Version, first.Version.Hash, first.Version.CreatedAt), (again.Version.Version, again.Version.Hash, again.Version.CreatedAt));
        Assert.Equal(1, first.Version.Version);
        Assert.Equal(name, first.Version.Name);
        Assert.Equal(PolicyModes.Enforce, first.Version.Mode);
        Assert.Equal(["support-bot*"], first.Version.Agents);
        Assert.Equal(4, first.Version.Rules);
        Assert.Equal(2, first.Version.TestsPassed);
        Assert.False(first.Version.Active);
        Assert.Matches("^sha256:[0-9a-f]{64}$", first.Version.Hash);
    }

    [Fact]
    public async Task PushAsync_FileThatDoesNotParse_Throws422WithProblemsAtLineAndColumn()
    {
        var source = $"name: {NewPolicy("bad")}\nagents: [\"*\"]\ndefault: deny\nrules:\n  - name: r\n    tools: [\"x\"]\n    efect: allow\n";

        var e = await Assert.ThrowsAsync<ReinApiException>(() => Policies.PushAsync(source, "bad.yaml", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, e.StatusCode);
        var rejection = PolicyRejection.From(e);
        Assert.NotNull(rejection);
        Assert.Empty(rejection.Tests);
        var problem = Assert.Single(rejection.Problems, p => p.Message.Contains("efect", StringComparison.Ordinal));
        Assert.Equal("bad.yaml", problem.File);
        Assert.Equal(7, problem.Line);
        Assert.Equal(5, problem.Column);
        Assert.StartsWith("bad.yaml:7:5: ", problem.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PushAsync_FailingEmbeddedTest_Throws422WithTheTest()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() => Policies.PushAsync(PolicyFiles.WithFailingTest(NewPolicy("failing")), "failing.yaml", cancellationToken: Ct));

        var rejection = PolicyRejection.From(e);
        Assert.NotNull(rejection);
        var test = Assert.Single(rejection.Tests);
        Assert.Equal("wishful", test.Name);
        Assert.False(test.Passed);
        Assert.Contains("expected effect allow, got deny", test.Failure, StringComparison.Ordinal);
        Assert.True(test.Line > 0);
    }

    [Fact]
    public async Task ListAsync_AfterPushAndActivate_ShowsActiveAndLatestVersions()
    {
        var name = NewPolicy("list");
        await Policies.PushAsync(PolicyFiles.Refunds(name), activate: true, cancellationToken: Ct);
        await Policies.PushAsync(PolicyFiles.Refunds(name, approvalAbove: 100), cancellationToken: Ct);

        var policies = await Policies.ListAsync(Ct);

        var policy = Assert.Single(policies, p => p.Name == name);
        Assert.Equal(1, policy.ActiveVersion);
        Assert.Equal(2, policy.LatestVersion);
        Assert.Equal(PolicyModes.Enforce, policy.Mode);
        Assert.Equal(["support-bot*"], policy.Agents);
    }

    [Fact]
    public async Task GetAsync_HistoryAndGetVersionAsync_HaveVersionsActivationsSourceAndTests()
    {
        var name = NewPolicy("history");
        var source = PolicyFiles.Refunds(name);
        await Policies.PushAsync(source, activate: true, cancellationToken: Ct);
        await Policies.PushAsync(PolicyFiles.Refunds(name, approvalAbove: 100), cancellationToken: Ct);
        await Policies.ActivateAsync(name, 2, Ct);

        var history = await Policies.GetAsync(name, Ct);
        var version = await Policies.GetVersionAsync(name, 1, Ct);

        Assert.Equal(2, history.ActiveVersion);
        Assert.Equal([1, 2], history.Versions.Select(v => v.Version).Order());
        Assert.All(history.Versions, v => Assert.Null(v.Source));
        Assert.Equal([(int?)1, 2], history.Activations.OrderBy(a => a.At).Select(a => a.Version));
        Assert.All(history.Activations, a => Assert.Equal("activate", a.Action));
        Assert.Equal(source, version.Source);
        Assert.False(version.Active);
        Assert.Equal(["big refund needs finance", "small refund is allowed"], version.Tests!.Select(t => t.Name));
        Assert.All(version.Tests!, t => Assert.True(t.Passed));
    }

    [Fact]
    public async Task DiffAsync_TwoVersions_GivesEveryLineWithItsNumbers()
    {
        var name = NewPolicy("diff");
        await Policies.PushAsync(PolicyFiles.Refunds(name), cancellationToken: Ct);
        await Policies.PushAsync(PolicyFiles.Refunds(name, approvalAbove: 100), cancellationToken: Ct);

        var diff = await Policies.DiffAsync(name, 1, 2, Ct);

        Assert.Equal((name, 1, 2), (diff.Name, diff.From, diff.To));
        var removed = diff.Lines.Where(l => l.Kind == DiffKinds.Removed).ToList();
        var added = diff.Lines.Where(l => l.Kind == DiffKinds.Added).ToList();
        Assert.Equal(["    when: args.amount <= 50", "    when: args.amount > 50"], removed.Select(l => l.Text));
        Assert.Equal(["    when: args.amount <= 100", "    when: args.amount > 100"], added.Select(l => l.Text));
        Assert.All(removed, l => Assert.Null(l.NewLine));
        Assert.All(added, l => Assert.Null(l.OldLine));
        Assert.Equal(11, removed[0].OldLine);
        Assert.Equal(11, added[0].NewLine);
    }

    [Fact]
    public async Task RollbackAsync_AfterTwoActivations_ReturnsToTheFirstAndASecondRollbackUndoesTheFirst()
    {
        var name = NewPolicy("rollback");
        await Policies.PushAsync(PolicyFiles.Refunds(name), activate: true, cancellationToken: Ct);
        await Policies.PushAsync(PolicyFiles.Refunds(name, approvalAbove: 100), activate: true, cancellationToken: Ct);

        var back = await Policies.RollbackAsync(name, Ct);
        var forward = await Policies.RollbackAsync(name, Ct);

        Assert.Equal((1, true), (back.Version, back.Active));
        Assert.Equal((2, true), (forward.Version, forward.Active));
        var history = await Policies.GetAsync(name, Ct);
        Assert.Equal(2, history.ActiveVersion);
        Assert.Equal(["activate", "activate", "rollback", "rollback"], history.Activations.OrderBy(a => a.At).ThenBy(a => a.Action).Select(a => a.Action));
    }

    [Fact]
    public async Task RollbackAsync_ActivatedOnce_Throws409()
    {
        var name = NewPolicy("once");
        await Policies.PushAsync(PolicyFiles.Refunds(name), activate: true, cancellationToken: Ct);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => Policies.RollbackAsync(name, Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.StatusCode);
        Assert.Equal(1, (await Policies.GetAsync(name, Ct)).ActiveVersion);
    }

    [Fact]
    public async Task DeactivateAsync_ActivePolicy_LeavesNoActiveVersion()
    {
        var name = NewPolicy("deactivate");
        await Policies.PushAsync(PolicyFiles.Refunds(name), activate: true, cancellationToken: Ct);

        await Policies.DeactivateAsync(name, Ct);

        var history = await Policies.GetAsync(name, Ct);
        Assert.Null(history.ActiveVersion);
        Assert.Contains(history.Activations, a => a.Action == "deactivate" && a.Version is null);
    }

    [Fact]
    public async Task ActivateAsync_VersionThatDoesNotExist_Throws404()
    {
        var name = NewPolicy("missing");
        await Policies.PushAsync(PolicyFiles.Refunds(name), cancellationToken: Ct);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => Policies.ActivateAsync(name, 9, Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task PushAsync_ViewerKey_Throws403()
    {
        var (_, viewerKey) = await rein.Server.CreateKeyAsync("policy-viewer", KeyRoles.Viewer);
        using var viewer = rein.ClientWith(viewerKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => viewer.Policies.PushAsync(PolicyFiles.Refunds(NewPolicy("viewer")), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
    }

    [Fact]
    public async Task BacktestAsync_CandidateThatRaisesTheLimit_CountsTheDecisionsItWouldChange()
    {
        var name = NewPolicy("backtest");
        var agent = NewPolicy("bt-agent");
        await Policies.PushAsync(PolicyFiles.Refunds(name, agents: agent), activate: true, cancellationToken: Ct);
        foreach (var amount in new[] { 20, 80, 500 })
        {
            await rein.Admin.Gate.DecideAsync(new GateRequest { ActAs = agent, Tool = "refund", Args = new() { ["amount"] = amount } }, Ct);
        }

        var candidate = await Policies.PushAsync(PolicyFiles.Refunds(name, agents: agent, approvalAbove: 100), cancellationToken: Ct);
        var result = await Policies.BacktestAsync(name, candidate.Version.Version, DateTimeOffset.UtcNow.AddHours(-1), cancellationToken: Ct);

        Assert.Equal(candidate.Version.Version, result.Version);
        Assert.Equal(3, result.Considered);
        Assert.Equal(1, result.Changed);
        Assert.Equal(new BacktestChange("require_approval", "allow", 1), Assert.Single(result.ByChange));
        Assert.Equal(new BacktestRuleCount("small refunds", 1), Assert.Single(result.ByRule));
        Assert.Equal(new BacktestToolCount("refund", 1), Assert.Single(result.ByTool));
        var example = Assert.Single(result.Examples);
        Assert.Equal(("require_approval", "allow", agent), (example.Before, example.After, example.Agent));
    }
}
