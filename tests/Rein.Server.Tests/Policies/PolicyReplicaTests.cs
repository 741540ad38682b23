using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Rein.Server.Policies;
using Rein.Server.Storage;
using Rein.Server.Tests.Hosting;
using Rein.Testing;

namespace Rein.Server.Tests.Policies;

/// <summary>Two servers on one PostgreSQL: a change made through one is what the other's gate reads next.</summary>
public sealed class PolicyReplicaTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<GateRules> LoadOnAsync(TestHost host) =>
        host.App.Services.GetRequiredService<ReinDatabase>().ReadAsync(
            c => host.App.Services.GetRequiredService<PolicyCatalog>().LoadAsync(c, null, "default"), Ct);

    [Fact]
    public async Task Activation_OnOneServer_IsWhatTheOtherServersCatalogLoadsNext()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        await using var a = await TestHost.StartAsync(dataDir: dirA.Path, database: connectionString);
        await using var b = await TestHost.StartAsync(dataDir: dirB.Path, database: connectionString);
        using var onA = a.Client(a.AdminKey);
        using var onB = b.Client(a.AdminKey);
        var before = await LoadOnAsync(b);

        (await onA.PostAsJsonAsync("/api/v1/policies", new { source = PolicySources.Valid("refunds", 1), activate = true }, Ct)).EnsureSuccessStatusCode();
        var first = await LoadOnAsync(b);

        Assert.True(first.Epoch > before.Epoch);
        var active = Assert.Single(first.Policies);
        Assert.Equal((1, PolicySources.Valid("refunds", 1)), (active.Version, active.Policy.Source));

        (await onA.PostAsJsonAsync("/api/v1/policies", new { source = PolicySources.Valid("refunds", 2) }, Ct)).EnsureSuccessStatusCode();
        (await onA.PostAsJsonAsync("/api/v1/policies/refunds/activate", new { version = 2 }, Ct)).EnsureSuccessStatusCode();
        var second = await LoadOnAsync(b);

        Assert.True(second.Epoch > first.Epoch);
        Assert.Equal(2, Assert.Single(second.Policies).Version);

        // And the other way round: a rollback through B is what A loads next.
        (await onB.PostAsync("/api/v1/policies/refunds/rollback", null, Ct)).EnsureSuccessStatusCode();
        var third = await LoadOnAsync(a);

        Assert.True(third.Epoch > second.Epoch);
        Assert.Equal(1, Assert.Single(third.Policies).Version);
    }

    [Fact]
    public async Task KillSwitch_OnOneServer_IsWhatTheOtherServersCatalogLoadsNext()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        await using var a = await TestHost.StartAsync(dataDir: dirA.Path, database: connectionString);
        await using var b = await TestHost.StartAsync(dataDir: dirB.Path, database: connectionString);
        using var onA = a.Client(a.AdminKey);
        var before = await LoadOnAsync(b);

        (await onA.PostAsJsonAsync("/api/v1/kill-switches", new { scope = "agent", target = "support-bot", reason = "runaway" }, Ct)).EnsureSuccessStatusCode();
        var killed = await LoadOnAsync(b);
        (await onA.PostAsJsonAsync("/api/v1/kill-switches/remove", new { scope = "agent", target = "support-bot" }, Ct)).EnsureSuccessStatusCode();
        var revived = await LoadOnAsync(b);

        Assert.True(killed.Epoch > before.Epoch);
        var kill = Assert.Single(killed.KillSwitches);
        Assert.Equal(("agent", "support-bot", "runaway"), (kill.Scope, kill.Target, kill.Reason));
        Assert.True(revived.Epoch > killed.Epoch);
        Assert.Empty(revived.KillSwitches);
        using var onB = b.Client(a.AdminKey);
        var listed = await onB.GetFromJsonAsync<JsonElement>("/api/v1/kill-switches", Ct);
        Assert.Empty(listed.GetProperty("items").EnumerateArray());
    }
}
