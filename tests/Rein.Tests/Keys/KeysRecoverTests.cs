using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Rein.Testing;

namespace Rein.Cli.Tests.Keys;

public sealed class KeysRecoverTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Recover_WritesANewAdminKeyIntoTheDatabase_ThatTheRunningServerAccepts()
    {
        await using var server = await ReinServerProcess.StartAsync();

        var result = await ReinBinary.RunAsync(["keys", "recover", "--data-dir", server.DataDir], server.WorkingDirectory);

        Assert.Equal(0, result.ExitCode);
        var key = result.StdOut.Trim();
        Assert.StartsWith("rein_", key, StringComparison.Ordinal);
        Assert.Contains("only time the key is shown", result.StdErr, StringComparison.Ordinal);
        using var client = server.CreateClient(key);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/me", Ct);
        Assert.Equal(("admin", "default"), (me.GetProperty("role").GetString(), me.GetProperty("projectId").GetString()));
        var audit = await client.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1", Ct);
        var entry = audit.GetProperty("items")[0];
        Assert.Equal(("key.create", "system", me.GetProperty("keyId").GetString()), (entry.GetProperty("action").GetString(), entry.GetProperty("actor").GetString(), entry.GetProperty("objectId").GetString()));
        Assert.True((await client.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct)).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task Recover_AnotherProject_GivesAKeyForThatProjectOnly()
    {
        await using var server = await ReinServerProcess.StartAsync();
        using var admin = server.CreateClient();
        (await admin.PostAsJsonAsync("/api/v1/projects", new { id = "orphan" }, Ct)).EnsureSuccessStatusCode();

        var result = await ReinBinary.RunAsync(["keys", "recover", "--project", "orphan"], server.WorkingDirectory);

        Assert.Equal(0, result.ExitCode);
        using var client = server.CreateClient(result.StdOut.Trim());
        Assert.Equal("orphan", (await client.GetFromJsonAsync<JsonElement>("/api/v1/me", Ct)).GetProperty("projectId").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, (await client.PostAsJsonAsync("/api/v1/projects", new { id = "nope" }, Ct)).StatusCode);
    }

    [Fact]
    public async Task Recover_OnPostgreSql_UsesTheSameDatabaseSetting()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var server = await ReinServerProcess.StartAsync(extraArgs: ["--database", connectionString]);

        var result = await ReinBinary.RunAsync(["keys", "recover"], server.WorkingDirectory, new Dictionary<string, string?> { ["REIN_DATABASE"] = connectionString });

        Assert.Equal(0, result.ExitCode);
        using var client = server.CreateClient(result.StdOut.Trim());
        Assert.Equal("admin", (await client.GetFromJsonAsync<JsonElement>("/api/v1/me", Ct)).GetProperty("role").GetString());
    }

    [Fact]
    public async Task Recover_WithoutADatabase_SaysWhereItLooked()
    {
        using var dir = new TempDirectory();

        var result = await ReinBinary.RunAsync(["keys", "recover"], dir.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"There is no Rein database at {Path.Combine(dir.Path, ".rein", "rein.db")}", result.StdErr, StringComparison.Ordinal);
        Assert.Equal("", result.StdOut);
    }

    [Fact]
    public async Task Recover_AnUnknownProject_FailsWithoutWriting()
    {
        await using var server = await ReinServerProcess.StartAsync();

        var result = await ReinBinary.RunAsync(["keys", "recover", "--project", "ghost"], server.WorkingDirectory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("there is no project 'ghost'", result.StdErr, StringComparison.Ordinal);
        using var admin = server.CreateClient();
        Assert.Equal(2, (await admin.GetFromJsonAsync<JsonElement>("/api/v1/status", Ct)).GetProperty("counts").GetProperty("auditEntries").GetInt64());
    }
}
