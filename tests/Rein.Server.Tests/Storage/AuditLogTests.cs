using Dapper;
using Rein.Core.Audit;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Storage;

public abstract class AuditLogTests : StorageTestBase
{
    private string Project => H.Admin.ProjectId;

    /// <summary>Bootstrap wrote entries 1 (project.create) and 2 (key.create); this adds three more.</summary>
    private async Task<IReadOnlyList<AuditEntry>> FiveEntriesAsync()
    {
        for (var i = 0; i < 3; i++)
        {
            await H.Keys.CreateAsync(H.Admin, $"k{i}", "agent", null, Ct);
        }

        var entries = await H.Audit.ListAsync(Project, null, 100, null, Ct);
        Assert.Equal([5L, 4, 3, 2, 1], entries.Select(e => e.Seq));
        return entries;
    }

    /// <summary>Plays a database administrator who goes around the append-only triggers.</summary>
    private Task TamperAsync(string sql, object? args = null) => H.Database.WriteAsync(async (c, t) =>
    {
        await c.ExecuteAsync(H.Database.Kind == DatabaseKind.Sqlite
            ? "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            : "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;", transaction: t);
        await c.ExecuteAsync(sql, args, t);
    }, Ct);

    [Fact]
    public async Task VerifyAsync_UntouchedChain_IsValid()
    {
        await FiveEntriesAsync();

        var result = await H.Audit.VerifyAsync(Project, Ct);

        Assert.True(result.Valid);
        Assert.Equal(5, result.Checked);
        Assert.Equal(5, result.Head!.Seq);
        Assert.Null(result.Problem);
    }

    [Fact]
    public async Task Entries_ChainEachToThePrevious()
    {
        var entries = (await FiveEntriesAsync()).Reverse().ToList();

        Assert.Equal(AuditChain.GenesisHash, entries[0].PrevHash);
        for (var i = 1; i < entries.Count; i++)
        {
            Assert.Equal(entries[i - 1].Hash, entries[i].PrevHash);
            Assert.Equal(AuditChain.ComputeHash(entries[i]), entries[i].Hash);
        }
    }

    [Fact]
    public async Task AuditLog_RefusesUpdatesAndDeletesThroughSql()
    {
        await FiveEntriesAsync();

        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => H.Database.WriteAsync(
            (c, t) => c.ExecuteAsync("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2", transaction: t), Ct));
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => H.Database.WriteAsync(
            (c, t) => c.ExecuteAsync("DELETE FROM audit_log WHERE seq = 2", transaction: t), Ct));
        Assert.True((await H.Audit.VerifyAsync(Project, Ct)).Valid);
    }

    [Fact]
    public async Task VerifyAsync_AlteredEntry_NamesIt()
    {
        await FiveEntriesAsync();
        await TamperAsync("UPDATE audit_log SET details = '{\"role\":\"admin\"}' WHERE seq = 3");

        var result = await H.Audit.VerifyAsync(Project, Ct);

        Assert.False(result.Valid);
        Assert.Equal(3, result.Problem!.Seq);
        Assert.Contains("altered", result.Problem.Problem, StringComparison.Ordinal);
        Assert.Equal(2, result.Checked);
    }

    [Fact]
    public async Task VerifyAsync_AlteredAndRehashedEntry_IsCaughtByTheNextEntry()
    {
        var entries = await FiveEntriesAsync();
        var original = entries.Single(e => e.Seq == 3);
        var forged = original with { Actor = "mallory" };
        var forgedHash = AuditChain.ComputeHash(forged);
        await TamperAsync("UPDATE audit_log SET actor = 'mallory', hash = @forgedHash WHERE seq = 3", new { forgedHash });

        var result = await H.Audit.VerifyAsync(Project, Ct);

        Assert.False(result.Valid);
        Assert.Equal(3, result.Problem!.Seq);
        Assert.Contains("entry 4 recorded a different hash", result.Problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_RemovedEntry_NamesIt()
    {
        await FiveEntriesAsync();
        await TamperAsync("DELETE FROM audit_log WHERE seq = 2");

        var result = await H.Audit.VerifyAsync(Project, Ct);

        Assert.False(result.Valid);
        Assert.Equal(2, result.Problem!.Seq);
        Assert.Contains("removed", result.Problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_RemovedNewestEntry_IsCaughtByTheHead()
    {
        await FiveEntriesAsync();
        await TamperAsync("DELETE FROM audit_log WHERE seq = 5");

        var result = await H.Audit.VerifyAsync(Project, Ct);

        Assert.False(result.Valid);
        Assert.Equal(5, result.Problem!.Seq);
        Assert.Contains("removed", result.Problem.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task VerifyAsync_ReorderedEntries_AreCaught()
    {
        await FiveEntriesAsync();
        await TamperAsync("""
            UPDATE audit_log SET seq = 100 WHERE seq = 3;
            UPDATE audit_log SET seq = 3 WHERE seq = 4;
            UPDATE audit_log SET seq = 4 WHERE seq = 100;
            """);

        var result = await H.Audit.VerifyAsync(Project, Ct);

        Assert.False(result.Valid);
        Assert.Equal(3, result.Problem!.Seq);
    }

    [Fact]
    public async Task VerifyAsync_EntryMovedToAnotherProject_BreaksBothChains()
    {
        await FiveEntriesAsync();
        await H.CreateProjectAsync("other");
        await TamperAsync("UPDATE audit_log SET project_id = 'other', seq = 1000 WHERE project_id = 'default' AND seq = 4");

        Assert.False((await H.Audit.VerifyAsync(Project, Ct)).Valid);
        Assert.False((await H.Audit.VerifyAsync("other", Ct)).Valid);
    }

    [Fact]
    public async Task VerifyAsync_LongChain_IsWalkedInPages()
    {
        var (admin2, _) = await H.CreateCallerAsync(Role.Admin);
        // Create-and-revoke pairs add two entries each without hitting the active-key bound.
        var pairs = (AuditLog.VerifyPageSize / 2) + 10;
        for (var i = 0; i < pairs; i++)
        {
            var k = await H.Keys.CreateAsync(admin2, $"k{i}", "agent", null, Ct);
            await H.Keys.RevokeAsync(admin2, k.Key.Id, Ct);
        }

        var result = await H.Audit.VerifyAsync(Project, Ct);

        Assert.True(result.Valid);
        Assert.Equal(3 + (2 * pairs), result.Checked);
        Assert.True(result.Checked > AuditLog.VerifyPageSize);
    }

    [Fact]
    public async Task AppendAsync_ConcurrentWriters_KeepOneGaplessChain()
    {
        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(() => H.Keys.CreateAsync(H.Admin, $"parallel {i}", "agent", null, Ct))));

        var result = await H.Audit.VerifyAsync(Project, Ct);
        Assert.True(result.Valid, result.Problem?.Problem);
        Assert.Equal(18, result.Checked);
    }

    [Fact]
    public async Task ListAsync_PagesNewestFirst_AndFiltersByActionPrefix()
    {
        var k = await H.Keys.CreateAsync(H.Admin, "k", "agent", null, Ct);
        await H.Keys.RevokeAsync(H.Admin, k.Key.Id, Ct);

        var older = await H.Audit.ListAsync(Project, before: 4, limit: 2, action: null, Ct);
        Assert.Equal([3L, 2], older.Select(e => e.Seq));
        var keyEntries = await H.Audit.ListAsync(Project, null, 100, "key", Ct);
        Assert.Equal(["key.revoke", "key.create", "key.create"], keyEntries.Select(e => e.Action));
        Assert.Equal(["key.revoke"], (await H.Audit.ListAsync(Project, null, 100, "key.revoke", Ct)).Select(e => e.Action));
        Assert.Empty(await H.Audit.ListAsync(Project, null, 100, "ke", Ct));
    }

    [Fact]
    public async Task ListAsync_NeverShowsAnotherProjectsEntries()
    {
        await H.CreateProjectAsync("other");

        var other = await H.Audit.ListAsync("other", null, 100, null, Ct);

        Assert.Equal(["key.create", "project.create"], other.Select(e => e.Action));
        Assert.All(other, e => Assert.Equal("other", e.ProjectId));
    }
}

public sealed class SqliteAuditLogTests : AuditLogTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);
}

public sealed class PostgresAuditLogTests(PostgresCluster cluster) : AuditLogTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}
