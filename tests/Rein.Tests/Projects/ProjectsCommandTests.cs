using System.Text.Json;
using Rein.Cli.Tests.Cli;

namespace Rein.Cli.Tests.Projects;

public sealed class ProjectsCommandTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    [Fact]
    public async Task Create_ThenList_ListsTheProjectAndPrintsAWorkingAdminKey()
    {
        var id = ReinServerFixture.NewProjectId("team");

        var create = await rein.RunAsync("projects", "create", id, "--name", "Team Project");

        Expect.Exit(ExitCodes.Ok, create);
        var key = Expect.KeyValue(create.StdOut);
        Assert.Contains("only time", create.StdErr, StringComparison.Ordinal);
        var list = await rein.RunAsync("projects", "list");
        Expect.Exit(ExitCodes.Ok, list);
        var row = list.StdOut.Split('\n').Single(l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains("Team Project", row, StringComparison.Ordinal);
        var status = await rein.RunWithKeyAsync(key, "status", "-o", "json");
        Expect.Exit(ExitCodes.Ok, status);
        using var json = JsonDocument.Parse(status.StdOut);
        Assert.Equal(id, json.RootElement.GetProperty("project").GetProperty("id").GetString());
        Assert.Equal("admin", json.RootElement.GetProperty("caller").GetProperty("role").GetString());
    }

    [Fact]
    public async Task Create_WithJsonOutput_IncludesProjectKeyRecordAndKey()
    {
        var id = ReinServerFixture.NewProjectId("json");

        var create = await rein.RunAsync("projects", "create", id, "-o", "json");

        Expect.Exit(ExitCodes.Ok, create);
        using var json = JsonDocument.Parse(create.StdOut);
        Assert.Equal(id, json.RootElement.GetProperty("project").GetProperty("id").GetString());
        Assert.Equal(id, json.RootElement.GetProperty("project").GetProperty("name").GetString());
        Assert.Equal(id, json.RootElement.GetProperty("key").GetProperty("projectId").GetString());
        Assert.Equal("admin", json.RootElement.GetProperty("key").GetProperty("role").GetString());
        Expect.KeyValue(json.RootElement.GetProperty("apiKey").GetString()!);
    }

    [Fact]
    public async Task Revoke_DefaultProjectsKeyWithAnotherProjectsKey_ExitsFailedWithNotFound()
    {
        var (defaultKeyId, defaultKey) = await rein.CreateKeyAsync("viewer");
        var (_, otherKey) = await rein.CreateProjectAsync(ReinServerFixture.NewProjectId("isolated"));

        var revoke = await rein.RunWithKeyAsync(otherKey, "keys", "revoke", defaultKeyId);

        Expect.Exit(ExitCodes.Failed, revoke);
        Assert.Contains("refused (404)", Expect.OneErrorLine(revoke), StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Ok, await rein.RunWithKeyAsync(defaultKey, "status"));
    }

    [Fact]
    public async Task KeysList_WithAnotherProjectsKey_ShowsNoneOfTheDefaultProjectsKeys()
    {
        var (defaultKeyId, _) = await rein.CreateKeyAsync("viewer");
        var (otherKeyId, otherKey) = await rein.CreateProjectAsync(ReinServerFixture.NewProjectId("own-keys"));

        var list = await rein.RunWithKeyAsync(otherKey, "keys", "list", "-o", "json");

        Expect.Exit(ExitCodes.Ok, list);
        using var json = JsonDocument.Parse(list.StdOut);
        var ids = json.RootElement.EnumerateArray().Select(k => k.GetProperty("id").GetString()).ToList();
        Assert.Equal([otherKeyId], ids);
        Assert.DoesNotContain(defaultKeyId, list.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_WithAnotherProjectsKey_ShowsOnlyThatProject()
    {
        var id = ReinServerFixture.NewProjectId("alone");
        var (_, key) = await rein.CreateProjectAsync(id);

        var list = await rein.RunWithKeyAsync(key, "projects", "list", "-o", "json");

        Expect.Exit(ExitCodes.Ok, list);
        using var json = JsonDocument.Parse(list.StdOut);
        Assert.Equal([id], json.RootElement.EnumerateArray().Select(p => p.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Create_WithAnotherProjectsAdminKey_ExitsFailedWithForbidden()
    {
        var (_, key) = await rein.CreateProjectAsync(ReinServerFixture.NewProjectId("not-server-admin"));

        var create = await rein.RunWithKeyAsync(key, "projects", "create", ReinServerFixture.NewProjectId("nested"));

        Expect.Exit(ExitCodes.Failed, create);
        var line = Expect.OneErrorLine(create);
        Assert.Contains("refused (403)", line, StringComparison.Ordinal);
        Assert.Contains("'default' project", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_ExistingId_ExitsFailedWithConflict()
    {
        var id = ReinServerFixture.NewProjectId("twice");
        Expect.Exit(ExitCodes.Ok, await rein.RunAsync("projects", "create", id));

        var again = await rein.RunAsync("projects", "create", id);

        Expect.Exit(ExitCodes.Failed, again);
        Assert.Contains("refused (409)", Expect.OneErrorLine(again), StringComparison.Ordinal);
        Assert.Equal("", again.StdOut);
    }

    [Fact]
    public async Task Create_InvalidId_ExitsFailedNamingTheField()
    {
        var create = await rein.RunAsync("projects", "create", "Not An Id");

        Expect.Exit(ExitCodes.Failed, create);
        Assert.Contains("refused (400): id:", Expect.OneErrorLine(create), StringComparison.Ordinal);
    }
}
