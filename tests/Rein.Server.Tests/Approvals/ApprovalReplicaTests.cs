using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Rein.Server.Approvals;
using Rein.Server.Storage;
using Rein.Testing;
using static Rein.Server.Tests.Approvals.ApprovalHarness;

namespace Rein.Server.Tests.Approvals;

/// <summary>Two servers on one PostgreSQL database: a request decided through one wakes the agent waiting on the
/// other at once, through NOTIFY (the re-read interval is set far longer than the bound), and its token is good once
/// across both.</summary>
public sealed class ApprovalReplicaTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    // Waiters re-read only every minute here: within the bound, only a notification can have woken them.
    private static readonly Dictionary<string, string?> NotifyOnly = new() { ["Approvals:NotifyPollInterval"] = "1m" };

    [Fact]
    public async Task Replicas_ApprovalThroughA_WakesAWaiterOnBWithinOneSecond()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var a = await ApprovalHarness.StartAsync(database, NotifyOnly);
        await using var b = await ApprovalHarness.StartAsync(database, NotifyOnly, shareKeysWith: a.Host, pushPolicy: false);
        await b.Host.App.Services.GetRequiredService<PostgresApprovalListener>().Listening.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        var run = Guid.NewGuid().ToString("N");
        var id = await b.OpenAsync(run);

        var waiting = b.GetAsync(id, b.Agent, "60s");
        await Task.Delay(500, Ct);
        Assert.False(waiting.IsCompleted);
        await a.ApproveAsync(id, "approved on A");
        var approved = Stopwatch.StartNew();
        var woken = await waiting.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        Assert.True(approved.Elapsed < TimeSpan.FromSeconds(1), $"the waiter on B woke {approved.Elapsed.TotalMilliseconds:0} ms after the approval on A");
        Assert.Equal("approved", woken.GetProperty("status").GetString());

        // The token is the key's that asked (on B); that key redeems it on A, once.
        var token = woken.GetProperty("token").GetString();
        using var askerOnA = a.Host.Client(b.Gate.AgentKey);
        Assert.Equal("allow", (await a.AskAsync(Refund(500, run, token), askerOnA)).GetProperty("effect").GetString());
        var replay = await b.AskAsync(Refund(500, run, token));
        Assert.Equal("approval.invalid_token", replay.GetProperty("reasons")[0].GetProperty("rule").GetString());
    }

    [Fact]
    public async Task Replicas_RedeemingOneTokenOnBothAtOnce_AllowsExactlyOnce()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var a = await ApprovalHarness.StartAsync(database);
        await using var b = await ApprovalHarness.StartAsync(database, shareKeysWith: a.Host, pushPolicy: false);
        // Without a run: no run row lock puts the two replicas' transactions in turn; only the token's own check does.
        string? run = null;
        var id = await a.OpenAsync(run);
        await a.ApproveAsync(id);
        var token = await a.TokenAsync(id);

        // The key that asked, on both replicas at once.
        using var askerOnB = b.Host.Client(a.Gate.AgentKey);
        var answers = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => i % 2 == 0 ? a.AskAsync(Refund(500, run, token)) : b.AskAsync(Refund(500, run, token), askerOnB)));
        var effects = answers.Select(d => d.GetProperty("effect").GetString()).ToList();
        Assert.Equal(1, effects.Count(e => e == "allow"));
        Assert.Equal(9, effects.Count(e => e == "deny"));
        Assert.All(answers.Where(d => d.GetProperty("effect").GetString() == "deny"),
            d => Assert.Equal("approval.invalid_token", d.GetProperty("reasons")[0].GetProperty("rule").GetString()));
    }

    [Fact]
    public async Task Token_UsedInTwoTransactionsAtOnce_OnlyTheFirstToCommitUsesIt()
    {
        var database = await cluster.CreateDatabaseAsync();
        await using var h = await ApprovalHarness.StartAsync(database);
        var id = await h.OpenAsync(null);
        await h.ApproveAsync(id);
        var hash = ApprovalTokens.Hash(await h.TokenAsync(id));
        var db = h.Host.App.Services.GetRequiredService<ReinDatabase>();

        await using var c1 = await db.OpenAsync(Ct);
        await using var t1 = await c1.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, Ct);
        await using var c2 = await db.OpenAsync(Ct);
        await using var t2 = await c2.BeginTransactionAsync(System.Data.IsolationLevel.ReadCommitted, Ct);
        // Both see it unused, as two replicas deciding at the same moment would.
        Assert.Null((await ApprovalStore.FindByTokenAsync(c1, t1, "default", hash))!.TokenUsedAt);
        Assert.Null((await ApprovalStore.FindByTokenAsync(c2, t2, "default", hash))!.TokenUsedAt);

        Assert.True(await ApprovalStore.UseTokenAsync(c1, t1, "default", id, 1, "dec_first"));
        var second = ApprovalStore.UseTokenAsync(c2, t2, "default", id, 2, "dec_second");
        await Task.Delay(300, Ct);
        Assert.False(second.IsCompleted);
        await t1.CommitAsync(Ct);
        Assert.False(await second.WaitAsync(TimeSpan.FromSeconds(10), Ct));
    }
}
