using Rein.Core.Identity;
using Rein.Server.Identity;
using Rein.Server.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Storage;

public abstract class ProjectServiceTests : StorageTestBase
{
    protected override void ConfigureIdentity(IdentityOptions options) => options.MaxProjects = 3;

    [Fact]
    public async Task CreateAsync_MakesTheProjectItsChainAndOneAdminKey()
    {
        var created = await H.Projects.CreateAsync(H.Admin, "support", "Support bots", Ct);

        Assert.Equal("support", created.Project.Id);
        Assert.Equal("Support bots", created.Project.Name);
        Assert.Equal(Role.Admin, created.AdminKey.Key.Role);
        Assert.Equal("support", created.AdminKey.Key.ProjectId);
        var check = await H.Authenticator.AuthenticateAsync(created.AdminKey.Value, Ct);
        Assert.Equal("support", check.Caller!.ProjectId);
        Assert.Equal(["key.create", "project.create"], (await H.Audit.ListAsync("support", null, 10, null, Ct)).Select(e => e.Action));
        Assert.True((await H.Audit.VerifyAsync("support", Ct)).Valid);
        var creatorEntry = (await H.Audit.ListAsync(H.Admin.ProjectId, null, 1, null, Ct)).Single();
        Assert.Equal(("project.create", "support", H.Admin.KeyId), (creatorEntry.Action, creatorEntry.ObjectId, creatorEntry.Actor));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("Support")]
    [InlineData("-support")]
    [InlineData("support-")]
    [InlineData("sup port")]
    [InlineData("support/../x")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghijk")]
    public async Task CreateAsync_InvalidId_IsRefusedNamingTheField(string? id)
    {
        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => H.Projects.CreateAsync(H.Admin, id, null, Ct));

        Assert.Equal(400, problem.Status);
        Assert.Equal("id", problem.Field);
    }

    [Fact]
    public async Task CreateAsync_ExistingId_IsAConflict()
    {
        await H.Projects.CreateAsync(H.Admin, "support", null, Ct);

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => H.Projects.CreateAsync(H.Admin, "support", null, Ct));

        Assert.Equal(409, problem.Status);
        var again = await Assert.ThrowsAsync<ReinProblemException>(() => H.Projects.CreateAsync(H.Admin, "default", null, Ct));
        Assert.Equal(409, again.Status);
    }

    [Fact]
    public async Task CreateAsync_BeyondMaxProjects_IsRefused()
    {
        await H.Projects.CreateAsync(H.Admin, "p2", null, Ct);
        await H.Projects.CreateAsync(H.Admin, "p3", null, Ct);

        var problem = await Assert.ThrowsAsync<ReinProblemException>(() => H.Projects.CreateAsync(H.Admin, "p4", null, Ct));

        Assert.Equal(409, problem.Status);
        Assert.Contains("MaxProjects", problem.Message, StringComparison.Ordinal);
        Assert.Equal(3, await H.Projects.CountAsync(H.Admin, Ct));
    }

    [Fact]
    public async Task ListAsync_ServerAdminSeesAll_OthersSeeTheirOwn()
    {
        var (support, _) = await H.CreateProjectAsync("support");
        await H.CreateProjectAsync("billing");

        Assert.Equal(["billing", "default", "support"], (await H.Projects.ListAsync(H.Admin, null, 100, Ct)).Items.Select(p => p.Id));
        Assert.Equal(["support"], (await H.Projects.ListAsync(support, null, 100, Ct)).Items.Select(p => p.Id));
        Assert.Null(await H.Projects.GetAsync(support, "default", Ct));
        Assert.NotNull(await H.Projects.GetAsync(H.Admin, "support", Ct));
    }

    [Fact]
    public async Task ListAsync_Pages()
    {
        await H.CreateProjectAsync("p2");
        await H.CreateProjectAsync("p3");

        var first = await H.Projects.ListAsync(H.Admin, null, 2, Ct);
        var second = await H.Projects.ListAsync(H.Admin, first.Next, 2, Ct);

        Assert.Equal(["default", "p2"], first.Items.Select(p => p.Id));
        Assert.Equal(["p3"], second.Items.Select(p => p.Id));
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task CreateDefaultAsync_OnABootstrappedDatabase_DoesNothing()
    {
        Assert.Null(await H.Projects.CreateDefaultAsync(Ct));
        Assert.Equal(1, await H.Projects.CountAsync(H.Admin, Ct));
    }
}

public sealed class SqliteProjectServiceTests : ProjectServiceTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);
}

public sealed class PostgresProjectServiceTests(PostgresCluster cluster) : ProjectServiceTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}
