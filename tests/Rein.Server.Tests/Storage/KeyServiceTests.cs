using Rein.Core.Identity;
using Rein.Server.Identity;
using Rein.Server.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Storage;

public abstract class KeyServiceTests : StorageTestBase
{
    protected override void ConfigureIdentity(IdentityOptions options) => options.MaxActiveKeysPerProject = 5;

    [Fact]
    public async Task CreateAsync_StoresTheKeyWithoutItsSecret_AndListsIt()
    {
        var created = await H.Keys.CreateAsync(H.Admin, " ci ", "agent", null, Ct);

        Assert.Equal("ci", created.Key.Name);
        Assert.Equal(Role.Agent, created.Key.Role);
        Assert.True(ApiKeyToken.TryParse(created.Value, out var token));
        Assert.Equal(created.Key.Id, token.Id);
        var page = await H.Keys.ListAsync(H.Admin, null, 100, Ct);
        Assert.Contains(page.Items, k => k.Id == created.Key.Id && k.Name == "ci" && k.CreatedBy == H.Admin.KeyId);
        var stored = await H.Database.ReadAsync(c => IdentityStore.FindForAuthenticationAsync(c, created.Key.Id), Ct);
        Assert.Equal(token.Hash(), stored!.Value.SecretHash);
    }

    [Fact]
    public async Task CreateAsync_AppendsAnAuditEntryInTheSameProject()
    {
        var created = await H.Keys.CreateAsync(H.Admin, "ci", "viewer", null, Ct);

        var entries = await H.Audit.ListAsync(H.Admin.ProjectId, null, 10, null, Ct);
        var entry = Assert.Single(entries, e => e.Action == "key.create" && e.ObjectId == created.Key.Id);
        Assert.Equal(H.Admin.KeyId, entry.Actor);
        Assert.Null(entry.BeforeDigest);
        Assert.NotNull(entry.AfterDigest);
        Assert.DoesNotContain(created.Value, entry.Details!, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "agent", "name")]
    [InlineData("  ", "agent", "name")]
    [InlineData("ok", "root", "role")]
    [InlineData("ok", null, "role")]
    [InlineData("bad\u0007name", "agent", "name")]
    public async Task CreateAsync_InvalidInput_IsRefusedNamingTheField(string? name, string? role, string field)
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => H.Keys.CreateAsync(H.Admin, name, role, null, Ct));

        Assert.Equal(400, problem.Status);
        Assert.Equal(field, problem.Field);
    }

    [Fact]
    public async Task CreateAsync_NameLongerThanTheBound_IsRefused()
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() =>
            H.Keys.CreateAsync(H.Admin, new string('n', KeyService.MaxNameLength + 1), "agent", null, Ct));

        Assert.Equal("name", problem.Field);
        Assert.Contains($"at most {KeyService.MaxNameLength}", problem.Message, StringComparison.Ordinal);
        await H.Keys.CreateAsync(H.Admin, new string('n', KeyService.MaxNameLength), "agent", null, Ct);
    }

    [Fact]
    public async Task CreateAsync_ExpiryInThePast_IsRefused()
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() =>
            H.Keys.CreateAsync(H.Admin, "old", "agent", H.Time.GetUtcNow().AddSeconds(-1), Ct));

        Assert.Equal("expiresAt", problem.Field);
    }

    [Fact]
    public async Task CreateAsync_BeyondMaxActiveKeysPerProject_IsRefused_UntilOneIsRevoked()
    {
        // The bootstrap admin key is the first of five.
        var keys = new List<CreatedKey>();
        for (var i = 0; i < 4; i++)
        {
            keys.Add(await H.Keys.CreateAsync(H.Admin, $"k{i}", "agent", null, Ct));
        }

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => H.Keys.CreateAsync(H.Admin, "one too many", "agent", null, Ct));
        Assert.Equal(409, problem.Status);
        Assert.Contains("MaxActiveKeysPerProject", problem.Message, StringComparison.Ordinal);

        await H.Keys.RevokeAsync(H.Admin, keys[0].Key.Id, Ct);
        await H.Keys.CreateAsync(H.Admin, "fits again", "agent", null, Ct);
    }

    [Fact]
    public async Task CreateAsync_ExpiredKeysDoNotCountTowardsTheBound()
    {
        for (var i = 0; i < 4; i++)
        {
            await H.Keys.CreateAsync(H.Admin, $"short-lived {i}", "agent", H.Time.GetUtcNow().AddMinutes(5), Ct);
        }

        H.Time.Advance(TimeSpan.FromMinutes(6));

        await H.Keys.CreateAsync(H.Admin, "after expiry", "agent", null, Ct);
    }

    [Fact]
    public async Task RevokeAsync_MarksTheKeyRevoked_AndAuditsBeforeAndAfter()
    {
        var created = await H.Keys.CreateAsync(H.Admin, "ci", "agent", null, Ct);

        var revoked = await H.Keys.RevokeAsync(H.Admin, created.Key.Id, Ct);

        Assert.Equal(KeyState.Revoked, revoked.StateAt(H.Time.GetUtcNow()));
        Assert.Equal(H.Admin.KeyId, revoked.RevokedBy);
        var entry = (await H.Audit.ListAsync(H.Admin.ProjectId, null, 1, "key.revoke", Ct)).Single();
        Assert.Equal(created.Key.Id, entry.ObjectId);
        Assert.NotNull(entry.BeforeDigest);
        Assert.NotEqual(entry.BeforeDigest, entry.AfterDigest);
    }

    [Fact]
    public async Task RevokeAsync_AlreadyRevoked_ChangesNothing()
    {
        var created = await H.Keys.CreateAsync(H.Admin, "ci", "agent", null, Ct);
        var first = await H.Keys.RevokeAsync(H.Admin, created.Key.Id, Ct);
        var entries = await H.Audit.CountAsync(H.Admin.ProjectId, Ct);
        H.Time.Advance(TimeSpan.FromMinutes(1));

        var second = await H.Keys.RevokeAsync(H.Admin, created.Key.Id, Ct);

        Assert.Equal(first.RevokedAt, second.RevokedAt);
        Assert.Equal(entries, await H.Audit.CountAsync(H.Admin.ProjectId, Ct));
    }

    [Fact]
    public async Task RevokeAsync_TheLastActiveAdminKey_IsRefused()
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => H.Keys.RevokeAsync(H.Admin, H.Admin.KeyId, Ct));

        Assert.Equal(409, problem.Status);
        Assert.Contains("last active admin key", problem.Message, StringComparison.Ordinal);
        var (second, _) = await H.CreateCallerAsync(Role.Admin);
        await H.Keys.RevokeAsync(second, H.Admin.KeyId, Ct);
    }

    [Fact]
    public async Task RevokeAsync_AnotherProjectsKey_IsNotFound_AndLeavesItActive()
    {
        var (other, _) = await H.CreateProjectAsync("other");
        var victim = await H.Keys.CreateAsync(H.Admin, "victim", "agent", null, Ct);

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => H.Keys.RevokeAsync(other, victim.Key.Id, Ct));

        Assert.Equal(404, problem.Status);
        var check = await H.Authenticator.AuthenticateAsync(victim.Value, Ct);
        Assert.NotNull(check.Caller);
    }

    [Fact]
    public async Task GetAndList_OnlyShowTheCallersProject()
    {
        var (other, _) = await H.CreateProjectAsync("other");
        var mine = await H.Keys.CreateAsync(H.Admin, "mine", "agent", null, Ct);
        var theirs = await H.Keys.CreateAsync(other, "theirs", "agent", null, Ct);

        Assert.Null(await H.Keys.GetAsync(other, mine.Key.Id, Ct));
        Assert.Null(await H.Keys.GetAsync(H.Admin, theirs.Key.Id, Ct));
        Assert.DoesNotContain((await H.Keys.ListAsync(H.Admin, null, 100, Ct)).Items, k => k.Id == theirs.Key.Id);
        Assert.DoesNotContain((await H.Keys.ListAsync(other, null, 100, Ct)).Items, k => k.Id == mine.Key.Id);
    }

    [Theory]
    [InlineData(Role.Agent)]
    [InlineData(Role.Viewer)]
    [InlineData(Role.Approver)]
    public async Task Service_ItselfRefusesRolesBelowAdmin(Role role)
    {
        var (caller, _) = await H.CreateCallerAsync(role);

        foreach (var call in new Func<Task>[]
        {
            () => H.Keys.CreateAsync(caller, "x", "agent", null, Ct),
            () => H.Keys.ListAsync(caller, null, 10, Ct),
            () => H.Keys.GetAsync(caller, H.Admin.KeyId, Ct),
            () => H.Keys.RevokeAsync(caller, H.Admin.KeyId, Ct),
            () => H.Projects.ListAsync(caller, null, 10, Ct),
            () => H.Projects.CreateAsync(caller, "sneaky", null, Ct),
        })
        {
            Assert.Equal(403, (await Assert.ThrowsAsync<ReinProblemException>(call)).Status);
        }

        Assert.Null(await H.Projects.GetAsync(H.Admin, "sneaky", Ct));
    }

    [Fact]
    public async Task CountAsync_CountsAllAndActiveKeys_ForReaders()
    {
        var (viewer, _) = await H.CreateCallerAsync(Role.Viewer);
        var doomed = await H.Keys.CreateAsync(H.Admin, "doomed", "agent", null, Ct);
        await H.Keys.CreateAsync(H.Admin, "brief", "agent", H.Time.GetUtcNow().AddMinutes(1), Ct);
        await H.Keys.RevokeAsync(H.Admin, doomed.Key.Id, Ct);
        H.Time.Advance(TimeSpan.FromMinutes(2));

        Assert.Equal(new KeyCounts(4, 2), await H.Keys.CountAsync(viewer, Ct));
        var (agent, _) = await H.CreateCallerAsync(Role.Agent);
        Assert.Equal(403, (await Assert.ThrowsAsync<ReinProblemException>(() => H.Keys.CountAsync(agent, Ct))).Status);
    }

    [Fact]
    public async Task ProjectCreate_ByAnAdminOfAnotherProject_IsRefused()
    {
        var (other, _) = await H.CreateProjectAsync("other");

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => H.Projects.CreateAsync(other, "nested", null, Ct));

        Assert.Equal(403, problem.Status);
        Assert.Contains("admin key of the 'default' project", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListAsync_PagesThroughEveryKeyOnce_InCreationOrder()
    {
        var created = new List<string> { H.Admin.KeyId };
        for (var i = 0; i < 6; i++)
        {
            H.Time.Advance(TimeSpan.FromSeconds(1));
            var key = await H.Keys.CreateAsync(H.Admin, $"k{i}", "agent", null, Ct);
            created.Add(key.Key.Id);
            if (i % 2 == 0)
            {
                await H.Keys.RevokeAsync(H.Admin, key.Key.Id, Ct);
            }
        }

        var seen = new List<string>();
        string? after = null;
        var pages = 0;
        do
        {
            var page = await H.Keys.ListAsync(H.Admin, after, 2, Ct);
            Assert.True(page.Items.Count <= 2);
            seen.AddRange(page.Items.Select(k => k.Id));
            after = page.Next;
            pages++;
        }
        while (after is not null);

        Assert.Equal(created, seen);
        Assert.Equal(4, pages);
    }
}

public sealed class SqliteKeyServiceTests : KeyServiceTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);
}

public sealed class PostgresKeyServiceTests(PostgresCluster cluster) : KeyServiceTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}
