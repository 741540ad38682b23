using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using Rein.Server.Storage;

namespace Rein.Server.Tests.Hosting;

public sealed class AuditApiTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Verify_OverHttp_NamesARowAlteredInTheDatabase()
    {
        await using var host = await TestHost.StartAsync();
        using var client = host.Client(host.AdminKey);
        for (var i = 0; i < 3; i++)
        {
            (await client.PostAsJsonAsync("/api/v1/keys", new { name = $"k{i}", role = "viewer" }, Ct)).EnsureSuccessStatusCode();
        }

        Assert.True((await client.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct)).GetProperty("valid").GetBoolean());

        // Someone with the database file widens a key's role in its audit record, going around the triggers.
        await using (var database = new SqliteReinDatabase(Path.Combine(host.DataDir, "rein.db")))
        {
            await database.WriteAsync((c, t) => c.ExecuteAsync(
                """
                DROP TRIGGER audit_log_no_update;
                UPDATE audit_log SET details = replace(details, '"viewer"', '"admin"') WHERE seq = 4;
                """, transaction: t), Ct);
        }

        var verify = await client.GetFromJsonAsync<JsonElement>("/api/v1/audit/verify", Ct);

        Assert.False(verify.GetProperty("valid").GetBoolean());
        Assert.Equal(3, verify.GetProperty("checked").GetInt64());
        Assert.Equal(4, verify.GetProperty("problem").GetProperty("seq").GetInt64());
        Assert.Contains("entry 4 was altered", verify.GetProperty("problem").GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 4001);
    }

    [Fact]
    public async Task List_PagesNewestFirst_WithTheNextCursor()
    {
        await using var host = await TestHost.StartAsync();
        using var client = host.Client(host.AdminKey);
        for (var i = 0; i < 3; i++)
        {
            (await client.PostAsJsonAsync("/api/v1/keys", new { name = $"k{i}", role = "viewer" }, Ct)).EnsureSuccessStatusCode();
        }

        var first = await client.GetFromJsonAsync<JsonElement>("/api/v1/audit?limit=2", Ct);
        var next = first.GetProperty("next").GetString();
        var second = await client.GetFromJsonAsync<JsonElement>($"/api/v1/audit?limit=2&before={next}", Ct);
        var third = await client.GetFromJsonAsync<JsonElement>($"/api/v1/audit?limit=2&before={second.GetProperty("next").GetString()}", Ct);

        Assert.Equal([5L, 4], first.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal([3L, 2], second.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal([1L], third.GetProperty("items").EnumerateArray().Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal(JsonValueKind.Null, third.GetProperty("next").ValueKind);
        Assert.Equal("default", first.GetProperty("items")[0].GetProperty("projectId").GetString());
    }
}
