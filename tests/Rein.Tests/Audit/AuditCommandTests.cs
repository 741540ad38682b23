using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Rein.Cli.Tests.Cli;
using Rein.Testing;

namespace Rein.Cli.Tests.Audit;

public sealed class AuditCommandTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    [Fact]
    public async Task List_AfterAKeyIsCreated_ShowsKeyCreateForIt()
    {
        var (id, _) = await rein.CreateKeyAsync("viewer");

        var list = await rein.RunAsync("audit", "list");

        Expect.Exit(ExitCodes.Ok, list);
        var row = list.StdOut.Split('\n').Single(l => l.Contains($"key {id}", StringComparison.Ordinal));
        Assert.Contains("key.create", row, StringComparison.Ordinal);
        Assert.Contains(ReinServerFixture.IdOf(rein.Server.AdminKey), row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_WithLimitAndJsonOutput_ReturnsThatManyEntriesNewestFirst()
    {
        await rein.CreateKeyAsync("viewer");
        await rein.CreateKeyAsync("viewer");

        var list = await rein.RunAsync("audit", "list", "--limit", "3", "-o", "json");

        Expect.Exit(ExitCodes.Ok, list);
        using var json = JsonDocument.Parse(list.StdOut);
        var seqs = json.RootElement.EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()).ToList();
        Assert.Equal(3, seqs.Count);
        Assert.Equal(seqs.OrderDescending(), seqs);
        var newest = json.RootElement[0];
        foreach (var field in new[] { "at", "actor", "action", "objectType", "objectId", "prevHash", "hash" })
        {
            Assert.True(newest.TryGetProperty(field, out _), $"no {field} in {newest}");
        }
    }

    [Fact]
    public async Task List_WithActionFilter_ShowsOnlyThatAction()
    {
        await rein.CreateKeyAsync("viewer");

        var list = await rein.RunAsync("audit", "list", "--action", "project.create", "-o", "json");

        Expect.Exit(ExitCodes.Ok, list);
        using var json = JsonDocument.Parse(list.StdOut);
        var actions = json.RootElement.EnumerateArray().Select(e => e.GetProperty("action").GetString()).ToList();
        Assert.NotEmpty(actions);
        Assert.All(actions, a => Assert.Equal("project.create", a));
    }

    [Fact]
    public async Task List_WithViewerKey_Succeeds()
    {
        var (_, viewer) = await rein.CreateKeyAsync("viewer");

        Expect.Exit(ExitCodes.Ok, await rein.RunWithKeyAsync(viewer, "audit", "list", "-n", "1"));
    }

    [Fact]
    public async Task Verify_IntactChain_ExitsOkWithCountAndHeadHash()
    {
        await rein.CreateKeyAsync("viewer");
        using var http = rein.Server.CreateClient();
        var newest = (await http.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=1", TestContext.Current.CancellationToken)).GetProperty("items")[0];

        var verify = await rein.RunAsync("audit", "verify");

        Expect.Exit(ExitCodes.Ok, verify);
        Assert.StartsWith("OK: ", verify.StdOut, StringComparison.Ordinal);
        Assert.Contains($"{newest.GetProperty("seq").GetInt64()} entries verified", verify.StdOut, StringComparison.Ordinal);
        Assert.Contains(newest.GetProperty("hash").GetString()!, verify.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_TamperedEntry_ExitsAuditBrokenNamingTheEntry()
    {
        await using var server = await ReinServerProcess.StartAsync();
        var admin = server.AdminKey;
        await using (var db = new SqliteConnection($"Data Source={Path.Combine(server.DataDir, "rein.db")};Pooling=false"))
        {
            await db.OpenAsync(TestContext.Current.CancellationToken);
            await using var tamper = db.CreateCommand();
            // Going around the application, as an attacker with file access would: the trigger is no protection then.
            tamper.CommandText = "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory' WHERE project_id = 'default' AND seq = 1;";
            await tamper.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var verify = await ReinBinary.RunAsync(["audit", "verify", "--server", server.Url.AbsoluteUri, "--api-key", admin]);
        var json = await ReinBinary.RunAsync(["audit", "verify", "--server", server.Url.AbsoluteUri, "--api-key", admin, "-o", "json"]);

        Expect.Exit(ExitCodes.AuditBroken, verify);
        Assert.StartsWith("BROKEN: entry #1: ", verify.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.AuditBroken, json);
        using var result = JsonDocument.Parse(json.StdOut);
        Assert.False(result.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(1, result.RootElement.GetProperty("problem").GetProperty("seq").GetInt64());
    }
}
