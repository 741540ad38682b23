using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Npgsql;
using Rein.Server.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Hosting;

public sealed class HostLifecycleTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task FirstStart_CreatesAnOwnerOnlyAdminKeyFile_ThatAuthenticates()
    {
        await using var host = await TestHost.StartAsync();

        var file = Path.Combine(host.DataDir, "admin.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        using var client = host.Client(host.AdminKey);
        var me = await client.GetFromJsonAsync<JsonElement>("/api/v1/me", Ct);
        Assert.Equal("admin", me.GetProperty("role").GetString());
        Assert.True(me.GetProperty("serverAdmin").GetBoolean());
    }

    [Fact]
    public async Task Restart_OnTheSameData_KeepsKeysAndDoesNotBootstrapAgain()
    {
        using var dir = new TempDirectory();
        string adminKey;
        await using (var first = await TestHost.StartAsync(dataDir: dir.Path))
        {
            adminKey = first.AdminKey;
            using var client = first.Client(adminKey);
            (await client.PostAsJsonAsync("/api/v1/keys", new { name = "survivor", role = "viewer" }, Ct)).EnsureSuccessStatusCode();
        }

        await using var second = await TestHost.StartAsync(dataDir: dir.Path);

        Assert.Equal(adminKey, second.AdminKey);
        using var again = second.Client(adminKey);
        var status = await again.GetFromJsonAsync<JsonElement>("/api/v1/status", Ct);
        Assert.Equal(1, status.GetProperty("counts").GetProperty("projects").GetInt64());
        Assert.Equal(2, status.GetProperty("counts").GetProperty("keys").GetInt64());
        Assert.DoesNotContain(second.Logs.Entries, e => e.EventId.Id == 2001);
        Assert.True((await again.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct)).GetProperty("valid").GetBoolean());
    }

    [Fact]
    public async Task Start_OnANewerSchema_IsRefusedWithAClearMessage()
    {
        using var dir = new TempDirectory();
        await using (await TestHost.StartAsync(dataDir: dir.Path))
        {
        }

        await using (var database = new SqliteReinDatabase(Path.Combine(dir.Path, "rein.db")))
        {
            await database.WriteAsync((c, t) => c.ExecuteAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)", transaction: t), Ct);
        }

        var error = await Assert.ThrowsAsync<ReinStartupException>(() => TestHost.StartAsync(dataDir: dir.Path));

        Assert.Contains("schema is at version 999", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer than this build", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_OnPostgreSql_ServesKeysAndAudit()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var host = await TestHost.StartAsync(database: connectionString);
        using var client = host.Client(host.AdminKey);

        var ready = await client.GetFromJsonAsync<JsonElement>("/readyz", Ct);
        (await client.PostAsJsonAsync("/api/v1/keys", new { name = "pg", role = "agent" }, Ct)).EnsureSuccessStatusCode();
        var verify = await client.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);

        Assert.Equal("postgresql", ready.GetProperty("database").GetString());
        Assert.True(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(3, verify.GetProperty("checked").GetInt64());
        Assert.False(File.Exists(Path.Combine(host.DataDir, "rein.db")));
    }

    [Fact]
    public async Task TwoHosts_OnOnePostgreSql_BootstrapOnceAndShareKeys()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        using var dirA = new TempDirectory();
        using var dirB = new TempDirectory();
        var starts = await Task.WhenAll(
            TestHost.StartAsync(dataDir: dirA.Path, database: connectionString),
            TestHost.StartAsync(dataDir: dirB.Path, database: connectionString));
        await using var a = starts[0];
        await using var b = starts[1];

        // Exactly one of them created the default project and wrote a key file.
        var keyFiles = new[] { dirA, dirB }.Where(d => File.Exists(d.Combine("admin.key"))).ToList();
        var keyFile = Assert.Single(keyFiles);
        var adminKey = File.ReadAllText(keyFile.Combine("admin.key")).Trim();
        using var clientA = a.Client(adminKey);
        using var clientB = b.Client(adminKey);
        var created = await (await clientA.PostAsJsonAsync("/api/v1/keys", new { name = "shared", role = "viewer" }, Ct)).Content.ReadFromJsonAsync<JsonElement>(Ct);
        var viewerKey = created.GetProperty("apiKey").GetString();
        using var viewerOnB = b.Client(viewerKey);
        Assert.Equal(HttpStatusCode.OK, (await viewerOnB.GetAsync("/api/v1/status", Ct)).StatusCode);
        (await clientA.DeleteAsync($"/api/v1/keys/{created.GetProperty("key").GetProperty("id").GetString()}", Ct)).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Unauthorized, (await viewerOnB.GetAsync("/api/v1/status", Ct)).StatusCode);
    }

    [Fact]
    public async Task Readyz_WhenTheDatabaseIsGone_Is503()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        await using var host = await TestHost.StartAsync(database: connectionString);
        using var client = host.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz", Ct)).StatusCode);
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using (var admin = new NpgsqlConnection(cluster.AdminConnectionString))
        {
            await admin.ExecuteAsync($"DROP DATABASE \"{name}\" WITH (FORCE)");
        }

        using var response = await client.GetAsync("/readyz", Ct);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>(Ct);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("does not answer", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz", Ct)).StatusCode);
    }
}
