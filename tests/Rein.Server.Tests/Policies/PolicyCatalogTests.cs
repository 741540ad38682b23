using Dapper;
using Rein.Server.Policies;
using Rein.Server.Storage;
using Rein.Server.Tests.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Policies;

/// <summary>What the gate reads: the epoch, the active versions parsed, and the kill switches.</summary>
public abstract class PolicyCatalogTests : PolicyTestBase
{
    [Fact]
    public async Task ReadEpochAsync_NothingEverChanged_IsZero()
    {
        var rules = await LoadAsync();

        Assert.Equal(0, await EpochAsync());
        Assert.Equal(0, rules.Epoch);
        Assert.Empty(rules.Policies);
        Assert.Empty(rules.KillSwitches);
    }

    [Fact]
    public async Task BumpEpochAsync_MovesTheEpochOfThatProjectOnly_ByOneEachTime()
    {
        await H.CreateProjectAsync("elsewhere");

        for (var i = 0; i < 3; i++)
        {
            await H.Database.WriteAsync((c, t) => PolicyCatalog.BumpEpochAsync(c, t, H.Admin.ProjectId), Ct);
        }

        Assert.Equal(3, await EpochAsync());
        Assert.Equal(0, await EpochAsync("elsewhere"));
    }

    [Fact]
    public async Task BumpEpochAsync_RolledBackWithItsTransaction_LeavesTheEpoch()
    {
        await Assert.ThrowsAsync<InvalidOperationException>(() => H.Database.WriteAsync(async (c, t) =>
        {
            await PolicyCatalog.BumpEpochAsync(c, t, H.Admin.ProjectId);
            throw new InvalidOperationException("the change failed");
        }, Ct));

        Assert.Equal(0, await EpochAsync());
    }

    [Fact]
    public async Task LoadAsync_ReturnsEveryActiveVersionParsed_AndTheKillSwitches()
    {
        await PushAsync(1, activate: true);
        await PushAsync(2);
        await PushAsync(1, activate: true, name: "billing");
        await PushAsync(1, name: "inactive");
        await Switches.AddAsync(H.Admin, "tool", "payments.refund", null, "incident 42", Ct);

        var rules = await LoadAsync();

        Assert.Equal(await EpochAsync(), rules.Epoch);
        Assert.Equal([("billing", 1), ("refunds", 1)], rules.Policies.Select(p => (p.Policy.Name, p.Version)));
        Assert.Equal(PolicySources.Valid("refunds", 1), rules.Policies[1].Policy.Source);
        var kill = Assert.Single(rules.KillSwitches);
        Assert.Equal(("tool", "payments.refund", "", "incident 42", H.Admin.KeyId), (kill.Scope, kill.Target, kill.Agent, kill.Reason, kill.CreatedBy));
    }

    [Fact]
    public async Task LoadAsync_Again_ReusesTheParsedPolicy()
    {
        await PushAsync(1, activate: true);
        var fresh = new PolicyCatalog(H.Database);

        var first = await H.Database.ReadAsync(c => fresh.LoadAsync(c, null, H.Admin.ProjectId), Ct);
        var second = await H.Database.ReadAsync(c => fresh.LoadAsync(c, null, H.Admin.ProjectId), Ct);

        Assert.Same(first.Policies[0].Policy, second.Policies[0].Policy);
        Assert.Equal(1, fresh.CachedCount);
    }

    [Fact]
    public async Task LoadAsync_InsideAWriteTransaction_SeesItsUncommittedChange()
    {
        await PushAsync(1);

        var rules = await H.Database.WriteAsync(async (c, t) =>
        {
            await c.ExecuteAsync("UPDATE policies SET active_version = 1", transaction: t);
            return await Catalog.LoadAsync(c, t, H.Admin.ProjectId);
        }, Ct);

        Assert.Single(rules.Policies);
    }

    [Fact]
    public async Task GetVersionAsync_AnyStoredVersion_IsParsed_UnknownIsNull()
    {
        await PushAsync(1);
        await PushAsync(2, activate: true);

        var first = await Catalog.GetVersionAsync(H.Admin.ProjectId, "refunds", 1, Ct);

        Assert.Equal(1, first!.Version);
        Assert.Equal(PolicySources.Valid("refunds", 1), first.Policy.Source);
        Assert.Null(await Catalog.GetVersionAsync(H.Admin.ProjectId, "refunds", 3, Ct));
        Assert.Null(await Catalog.GetVersionAsync("elsewhere", "refunds", 1, Ct));
    }

    [Fact]
    public async Task ParsedCache_BeyondItsCapacity_HoldsAtMostTheCapacity()
    {
        for (var r = 1; r <= 5; r++)
        {
            await PushAsync(r);
        }

        var small = new PolicyCatalog(H.Database, cacheCapacity: 2);
        for (var v = 1; v <= 5; v++)
        {
            Assert.NotNull(await small.GetVersionAsync(H.Admin.ProjectId, "refunds", v, Ct));
            Assert.InRange(small.CachedCount, 1, 2);
        }
    }
}

public sealed class SqlitePolicyCatalogTests : PolicyCatalogTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);
}

public sealed class PostgresPolicyCatalogTests(PostgresCluster cluster) : PolicyCatalogTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}
