using System.Text.Json;
using Rein.Cli.Tests.Cli;

namespace Rein.Cli.Tests.Keys;

public sealed class KeysCommandTests(ReinServerFixture rein) : IClassFixture<ReinServerFixture>
{
    [Fact]
    public async Task Create_ThenList_ListsTheNewKeyWithItsRole()
    {
        var create = await rein.RunAsync("keys", "create", "--name", "ci-pipeline", "--role", "viewer");

        Expect.Exit(ExitCodes.Ok, create);
        var key = Expect.KeyValue(create.StdOut);
        Assert.Equal(key, create.StdOut.Trim());
        Assert.Contains("only time", create.StdErr, StringComparison.Ordinal);

        var list = await rein.RunAsync("keys", "list");
        Expect.Exit(ExitCodes.Ok, list);
        var row = list.StdOut.Split('\n').Single(l => l.StartsWith(ReinServerFixture.IdOf(key), StringComparison.Ordinal));
        Assert.Contains("ci-pipeline", row, StringComparison.Ordinal);
        Assert.Contains("viewer", row, StringComparison.Ordinal);
        Assert.Contains("active", row, StringComparison.Ordinal);
        Assert.DoesNotContain(key, list.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_ThenUseTheKey_ExitsUnauthorizedSayingRevoked()
    {
        var (id, value) = await rein.CreateKeyAsync("viewer");

        var revoke = await rein.RunAsync("keys", "revoke", id);
        Expect.Exit(ExitCodes.Ok, revoke);
        Assert.Contains($"Revoked key {id}", revoke.StdOut, StringComparison.Ordinal);

        var use = await rein.RunWithKeyAsync(value, "status");
        Expect.Exit(ExitCodes.Unauthorized, use);
        Assert.Contains("revoked", Expect.OneErrorLine(use), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_RevokedKey_IsShownOnlyWithAll()
    {
        var (id, _) = await rein.CreateKeyAsync("agent");
        Expect.Exit(ExitCodes.Ok, await rein.RunAsync("keys", "revoke", id));

        var active = await rein.RunAsync("keys", "list");
        var all = await rein.RunAsync("keys", "list", "--all");

        Expect.Exit(ExitCodes.Ok, active);
        Expect.Exit(ExitCodes.Ok, all);
        Assert.DoesNotContain(id, active.StdOut, StringComparison.Ordinal);
        Assert.Contains("--all", active.StdErr, StringComparison.Ordinal);
        var row = all.StdOut.Split('\n').Single(l => l.StartsWith(id, StringComparison.Ordinal));
        Assert.Contains("revoked", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_AlreadyRevokedKey_SaysSoAndSucceeds()
    {
        var (id, _) = await rein.CreateKeyAsync("viewer");
        Expect.Exit(ExitCodes.Ok, await rein.RunAsync("keys", "revoke", id));

        var again = await rein.RunAsync("keys", "revoke", id);

        Expect.Exit(ExitCodes.Ok, again);
        Assert.Contains("already revoked", again.StdOut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_WithTheWholeKeyValue_RevokesThatKey()
    {
        var (id, value) = await rein.CreateKeyAsync("viewer");

        var revoke = await rein.RunAsync("keys", "revoke", value);

        Expect.Exit(ExitCodes.Ok, revoke);
        Assert.Contains(id, revoke.StdOut, StringComparison.Ordinal);
        Expect.Exit(ExitCodes.Unauthorized, await rein.RunWithKeyAsync(value, "status"));
    }

    [Fact]
    public async Task Create_WithJsonOutput_PrintsTheRecordAndTheKeyAsJson()
    {
        var create = await rein.RunAsync("keys", "create", "--name", "json-key", "--role", "approver", "--output", "json");

        Expect.Exit(ExitCodes.Ok, create);
        Assert.Equal("", create.StdErr);
        using var json = JsonDocument.Parse(create.StdOut);
        var apiKey = json.RootElement.GetProperty("apiKey").GetString()!;
        var key = json.RootElement.GetProperty("key");
        Assert.Equal(apiKey, Expect.KeyValue(apiKey));
        Assert.Equal(ReinServerFixture.IdOf(apiKey), key.GetProperty("id").GetString());
        Assert.Equal("json-key", key.GetProperty("name").GetString());
        Assert.Equal("approver", key.GetProperty("role").GetString());
        Assert.Equal("active", key.GetProperty("state").GetString());
        Assert.Equal("default", key.GetProperty("projectId").GetString());
        Assert.Equal(JsonValueKind.Null, key.GetProperty("expiresAt").ValueKind);
    }

    [Fact]
    public async Task List_WithJsonOutput_PrintsAnArrayOfKeyRecords()
    {
        var (id, _) = await rein.CreateKeyAsync("viewer", name: "listed-as-json");

        var list = await rein.RunAsync("keys", "list", "-o", "json");

        Expect.Exit(ExitCodes.Ok, list);
        using var json = JsonDocument.Parse(list.StdOut);
        Assert.Equal(JsonValueKind.Array, json.RootElement.ValueKind);
        var key = json.RootElement.EnumerateArray().Single(k => k.GetProperty("id").GetString() == id);
        Assert.Equal("listed-as-json", key.GetProperty("name").GetString());
        Assert.Equal("viewer", key.GetProperty("role").GetString());
        Assert.Equal("active", key.GetProperty("state").GetString());
        Assert.True(key.TryGetProperty("createdAt", out _));
        Assert.True(key.TryGetProperty("lastUsedAt", out _));
    }

    [Fact]
    public async Task Create_WithDurationExpiry_ExpiresThatFarAhead()
    {
        var before = DateTimeOffset.UtcNow;
        var create = await rein.RunAsync("keys", "create", "--name", "expiring", "--role", "viewer", "--expires", "30d", "-o", "json");
        var after = DateTimeOffset.UtcNow;

        Expect.Exit(ExitCodes.Ok, create);
        using var json = JsonDocument.Parse(create.StdOut);
        var expiresAt = json.RootElement.GetProperty("key").GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt, before.AddDays(30).AddSeconds(-1), after.AddDays(30).AddSeconds(1));
    }

    [Fact]
    public async Task Create_WithDateExpiry_ExpiresAtMidnightUtc()
    {
        var create = await rein.RunAsync("keys", "create", "--name", "dated", "--role", "viewer", "--expires", "2099-01-01", "-o", "json");

        Expect.Exit(ExitCodes.Ok, create);
        using var json = JsonDocument.Parse(create.StdOut);
        Assert.Equal(new DateTimeOffset(2099, 1, 1, 0, 0, 0, TimeSpan.Zero), json.RootElement.GetProperty("key").GetProperty("expiresAt").GetDateTimeOffset());
    }

    [Theory]
    [InlineData("--role", "boss")]
    [InlineData("--expires", "soon")]
    [InlineData("--expires", "2001-01-01")]
    public async Task Create_WithInvalidArgument_ExitsWithUsageErrorNamingIt(string option, string value)
    {
        string[] args = option == "--role"
            ? ["keys", "create", "--name", "bad", "--role", value]
            : ["keys", "create", "--name", "bad", "--role", "viewer", option, value];

        var create = await rein.RunAsync(args);

        Expect.Exit(ExitCodes.Usage, create);
        Assert.Contains(option, create.StdErr, StringComparison.Ordinal);
        Assert.Contains(value, create.StdErr, StringComparison.Ordinal);
        Assert.Equal("", create.StdOut);
    }

    [Fact]
    public async Task List_WithViewerKey_ExitsFailedWithTheRoleMessage()
    {
        var (_, viewer) = await rein.CreateKeyAsync("viewer");

        var list = await rein.RunWithKeyAsync(viewer, "keys", "list");

        Expect.Exit(ExitCodes.Failed, list);
        Assert.Equal("rein: refused (403): this needs a key with role admin; this key has role viewer", Expect.OneErrorLine(list));
    }

    [Fact]
    public async Task Revoke_UnknownKey_ExitsFailedWithNotFound()
    {
        var revoke = await rein.RunAsync("keys", "revoke", "zzzzzzzzzzzz");

        Expect.Exit(ExitCodes.Failed, revoke);
        Assert.Contains("refused (404)", Expect.OneErrorLine(revoke), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Revoke_LastAdminKeyOfAProject_ExitsFailedWithConflict()
    {
        var (keyId, apiKey) = await rein.CreateProjectAsync(ReinServerFixture.NewProjectId("last-admin"));

        var revoke = await rein.RunWithKeyAsync(apiKey, "keys", "revoke", keyId);

        Expect.Exit(ExitCodes.Failed, revoke);
        var line = Expect.OneErrorLine(revoke);
        Assert.Contains("refused (409)", line, StringComparison.Ordinal);
        Assert.Contains("last active admin key", line, StringComparison.Ordinal);
    }
}
