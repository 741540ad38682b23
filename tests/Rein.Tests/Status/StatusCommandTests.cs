using System.Net.Http.Json;
using System.Text.Json;
using Rein.Cli.Tests.Cli;

namespace Rein.Cli.Tests.Status;

public sealed class StatusCommandTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    [Fact]
    public async Task Status_WithAdminKey_PrintsVersionDatabaseProjectAndKey()
    {
        using var http = rein.Server.CreateClient("");
        var version = (await http.GetFromJsonAsync<JsonElement>("/healthz", TestContext.Current.CancellationToken)).GetProperty("version").GetString();

        var status = await rein.RunAsync("status");

        Expect.Exit(ExitCodes.Ok, status);
        Assert.StartsWith($"Rein {version} at {rein.Url}: ready", status.StdOut, StringComparison.Ordinal);
        Assert.Contains("sqlite, schema ", status.StdOut, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(rein.Server.DataDir, "rein.db"), status.StdOut, StringComparison.Ordinal);
        Assert.Contains("default (Default project)", status.StdOut, StringComparison.Ordinal);
        Assert.Contains($"{ReinServerFixture.IdOf(rein.Server.AdminKey)} 'admin (created with the project)', role admin (server admin)", status.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithJsonOutput_PrintsTheServersStatusObject()
    {
        var status = await rein.RunAsync("status", "--output", "json");

        Expect.Exit(ExitCodes.Ok, status);
        using var json = JsonDocument.Parse(status.StdOut);
        var root = json.RootElement;
        Assert.False(string.IsNullOrEmpty(root.GetProperty("version").GetString()));
        Assert.Equal("sqlite", root.GetProperty("database").GetProperty("kind").GetString());
        Assert.True(root.GetProperty("database").GetProperty("schemaVersion").GetInt32() >= 1);
        Assert.Equal("default", root.GetProperty("project").GetProperty("id").GetString());
        Assert.Equal("admin", root.GetProperty("caller").GetProperty("role").GetString());
        Assert.True(root.GetProperty("counts").GetProperty("activeKeys").GetInt64() >= 1);
    }

    [Fact]
    public async Task Status_WithViewerKey_SucceedsWithoutTheDatabaseLocation()
    {
        var (_, viewer) = await rein.CreateKeyAsync("viewer");

        var status = await rein.RunWithKeyAsync(viewer, "status");

        Expect.Exit(ExitCodes.Ok, status);
        Assert.Contains("role viewer", status.StdOut, StringComparison.Ordinal);
        Assert.DoesNotContain("rein.db", status.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_WithAgentKey_ExitsFailedWithForbidden()
    {
        var (_, agent) = await rein.CreateKeyAsync("agent");

        var status = await rein.RunWithKeyAsync(agent, "status");

        Expect.Exit(ExitCodes.Failed, status);
        Assert.Contains("refused (403)", Expect.OneErrorLine(status), StringComparison.Ordinal);
    }
}
