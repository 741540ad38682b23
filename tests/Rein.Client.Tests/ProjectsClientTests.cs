using System.Net;

namespace Rein.Client.Tests;

public sealed class ProjectsClientTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task CreateAsync_ReturnsTheProjectAndAnAdminKeyIntoIt()
    {
        var id = ReinServerFixture.NewName("sdk-new");

        var created = await rein.Admin.Projects.CreateAsync(id, "SDK project", Ct);
        using var client = rein.ClientWith(created.ApiKey);
        var status = await client.GetStatusAsync(Ct);

        Assert.Equal(id, created.Project.Id);
        Assert.Equal("SDK project", created.Project.Name);
        Assert.Equal(id, created.Key.ProjectId);
        Assert.Equal(KeyRoles.Admin, created.Key.Role);
        Assert.Equal(created.Project, status.Project);
        Assert.Equal(created.Key.Id, status.Caller.KeyId);
        Assert.False(status.Caller.ServerAdmin);
        Assert.Equal(created.Project, await rein.Admin.Projects.GetAsync(id, Ct));
    }

    [Fact]
    public async Task ListAllAsync_WithPagesOfOne_ReturnsEveryProjectById()
    {
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await rein.Admin.Projects.CreateAsync(ReinServerFixture.NewName($"sdk-list{i}"), cancellationToken: Ct)).Project.Id);
        }

        var all = new List<string>();
        await foreach (var project in rein.Admin.Projects.ListAllAsync(pageSize: 1, Ct))
        {
            all.Add(project.Id);
        }

        Assert.Contains("default", all);
        Assert.All(ids, id => Assert.Contains(id, all));
        Assert.Equal(all.Order(StringComparer.Ordinal), all);
        Assert.Equal(all.Distinct().Count(), all.Count);
    }

    [Fact]
    public async Task GetAsync_AnotherProjectWithAProjectKey_ThrowsNotFound()
    {
        var created = await rein.Admin.Projects.CreateAsync(ReinServerFixture.NewName("sdk-iso"), cancellationToken: Ct);
        using var client = rein.ClientWith(created.ApiKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Projects.GetAsync("default", Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
    }

    [Fact]
    public async Task RevokeAsync_DefaultProjectsKeyWithAnotherProjectsKey_ThrowsNotFound()
    {
        var victim = await rein.Admin.Keys.CreateAsync("sdk-victim", KeyRoles.Viewer, cancellationToken: Ct);
        var created = await rein.Admin.Projects.CreateAsync(ReinServerFixture.NewName("sdk-reach"), cancellationToken: Ct);
        using var client = rein.ClientWith(created.ApiKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Keys.RevokeAsync(victim.Key.Id, Ct));

        Assert.Equal(HttpStatusCode.NotFound, e.StatusCode);
        Assert.Equal(KeyStates.Active, (await rein.Admin.Keys.GetAsync(victim.Key.Id, Ct)).State);
    }

    [Fact]
    public async Task CreateAsync_ExistingId_ThrowsConflict()
    {
        var id = ReinServerFixture.NewName("sdk-dup");
        await rein.Admin.Projects.CreateAsync(id, cancellationToken: Ct);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => rein.Admin.Projects.CreateAsync(id, cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Conflict, e.StatusCode);
        Assert.Equal($"a project with id '{id}' already exists", e.Detail);
    }

    [Fact]
    public async Task CreateAsync_InvalidId_ThrowsBadRequestNamingId()
    {
        var e = await Assert.ThrowsAsync<ReinApiException>(() => rein.Admin.Projects.CreateAsync("Not Valid", cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Equal("id", e.Field);
    }

    [Fact]
    public async Task CreateAsync_WithAnotherProjectsAdminKey_ThrowsForbidden()
    {
        var created = await rein.Admin.Projects.CreateAsync(ReinServerFixture.NewName("sdk-nosub"), cancellationToken: Ct);
        using var client = rein.ClientWith(created.ApiKey);

        var e = await Assert.ThrowsAsync<ReinApiException>(() => client.Projects.CreateAsync(ReinServerFixture.NewName("sdk-sub"), cancellationToken: Ct));

        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Contains("'default' project", e.Detail, StringComparison.Ordinal);
    }
}
