using System.Net.Http.Json;
using System.Text.Json;
using Rein.Server.Tests.Approvals;
using Rein.Testing;
using static Rein.Server.Tests.Approvals.ApprovalHarness;

namespace Rein.Server.Tests.Policies;

/// <summary>Backtests over recorded traffic that includes approval-token redemptions, through HTTP against a real host,
/// on SQLite and on PostgreSQL.</summary>
public abstract class BacktestApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<string?> DatabaseAsync();

    /// <summary>A large refund asked (require_approval), approved, and redeemed with its token (allow).</summary>
    private static async Task RedeemAsync(ApprovalHarness h)
    {
        var run = Guid.NewGuid().ToString("N");
        var id = await h.OpenAsync(run);
        await h.ApproveAsync(id);
        var redeemed = await h.AskAsync(Refund(500, run, await h.TokenAsync(id)));
        Assert.Equal("allow", redeemed.GetProperty("effect").GetString());
    }

    private static async Task<JsonElement> BacktestAsync(ApprovalHarness h, int version)
    {
        var response = await h.Admin.PostAsJsonAsync("/api/v1/policies/refunds/backtest", new { version }, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"backtest answered {(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    [Fact]
    public async Task Backtest_RedemptionUnderAVersionThatOnlyAllowsOneMoreTool_IsNoChange()
    {
        await using var h = await ApprovalHarness.StartAsync(await DatabaseAsync());
        await RedeemAsync(h);
        var candidate = await h.Gate.PushAsync(
            ApprovalPolicies.Refunds.Replace("tools: [kb.search]", "tools: [kb.search, kb.get_article]", StringComparison.Ordinal), activate: false);

        var report = await BacktestAsync(h, candidate);

        Assert.Equal(2, report.GetProperty("considered").GetInt32());
        Assert.Equal(0, report.GetProperty("changed").GetInt32());
        Assert.Empty(report.GetProperty("byChange").EnumerateArray());
        Assert.Equal(1, report.GetProperty("redemptions").GetInt32());
    }

    [Fact]
    public async Task Backtest_RedemptionUnderAVersionThatDeniesTheCall_IsAChangeFromAllowToDeny()
    {
        await using var h = await ApprovalHarness.StartAsync(await DatabaseAsync());
        await RedeemAsync(h);
        var candidate = await h.Gate.PushAsync(
            ApprovalPolicies.Refunds + "\n  - name: refunds are paused\n    tools: [payments.refund]\n    effect: deny", activate: false);

        var report = await BacktestAsync(h, candidate);

        Assert.Equal(2, report.GetProperty("changed").GetInt32());
        var changes = report.GetProperty("byChange").EnumerateArray()
            .Select(c => $"{c.GetProperty("from").GetString()} -> {c.GetProperty("to").GetString()}: {c.GetProperty("count").GetInt32()}")
            .Order(StringComparer.Ordinal);
        Assert.Equal(["allow -> deny: 1", "require_approval -> deny: 1"], changes);
        Assert.Equal(1, report.GetProperty("redemptions").GetInt32());
    }
}

public sealed class SqliteBacktestApiTests : BacktestApiTests
{
    protected override Task<string?> DatabaseAsync() => Task.FromResult<string?>(null);
}

public sealed class PostgresBacktestApiTests(PostgresCluster cluster) : BacktestApiTests
{
    protected override async Task<string?> DatabaseAsync() => await cluster.CreateDatabaseAsync();
}
