using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Server.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Storage;

/// <summary>Migrations on an empty database, an up-to-date one, one newer than the build, and under a race.</summary>
public abstract class MigratorTests : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("rein-migrate");
    private ReinDatabase _database = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory);

    public async ValueTask InitializeAsync() => _database = await OpenDatabaseAsync(_directory);

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        _directory.Dispose();
        GC.SuppressFinalize(this);
    }

    private Migrator NewMigrator() => new(_database, TimeProvider.System, NullLogger<Migrator>.Instance);

    [Fact]
    public async Task MigrateAsync_EmptyDatabase_AppliesEveryMigrationInOrder()
    {
        var migrator = NewMigrator();
        Assert.Equal(0, await migrator.GetVersionAsync(Ct));

        var applied = await migrator.MigrateAsync(Ct);

        Assert.Equal(Enumerable.Range(1, migrator.LatestVersion), applied.Select(m => m.Version));
        Assert.Equal(migrator.LatestVersion, await migrator.GetVersionAsync(Ct));
        var tables = await _database.ReadAsync(c => c.QueryAsync<string>(_database.Kind == DatabaseKind.Sqlite
            ? "SELECT name FROM sqlite_master WHERE type = 'table'"
            : "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"), Ct);
        Assert.Superset(new HashSet<string> { "projects", "api_keys", "audit_log", "audit_heads", "schema_migrations", "data_protection_keys" }, tables.ToHashSet());
    }

    [Fact]
    public async Task MigrateAsync_Version4_MovesTheCallsOfRunsUnderWayToOneRowEach()
    {
        await _database.WriteAsync(async (c, t) =>
        {
            await c.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", transaction: t);
            foreach (var migration in Migrator.Load(_database.Kind).Take(3))
            {
                await c.ExecuteAsync(migration.Sql, transaction: t);
                await c.ExecuteAsync("INSERT INTO schema_migrations VALUES (@Version, @Name, 0)", migration, t);
            }

            await c.ExecuteAsync(
                """
                INSERT INTO gate_runs (project_id, run_id, parent_run_id, depth, started_at, updated_at, steps, tool_counts, calls)
                VALUES ('default', 'r1', NULL, 0, 0, 0, 5, '{}', '[["crm.export","a","h1"],["email.send","d","h2"],["kb.search","a","h3"]]')
                """,
                transaction: t);
        }, Ct);

        var applied = await NewMigrator().MigrateAsync(Ct);

        Assert.Contains(applied, m => m.Version == 4);
        var calls = await _database.ReadAsync(c => c.QueryAsync<(long, string, string, string)>(
            "SELECT seq, tool, effect, args_hash FROM gate_run_calls WHERE run_id = 'r1' ORDER BY seq"), Ct);
        Assert.Equal([(3L, "crm.export", "a", "h1"), (4L, "email.send", "d", "h2"), (5L, "kb.search", "a", "h3")], calls);
    }

    [Fact]
    public async Task MigrateAsync_Version9_OldRunsKeepTheirTimesAndOldRequestsGetTheirMillisecondInNanoseconds()
    {
        await _database.WriteAsync(async (c, t) =>
        {
            await c.ExecuteAsync("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)", transaction: t);
            foreach (var migration in Migrator.Load(_database.Kind).Take(8))
            {
                await c.ExecuteAsync(migration.Sql, transaction: t);
                await c.ExecuteAsync("INSERT INTO schema_migrations VALUES (@Version, @Name, 0)", migration, t);
            }

            var no = _database.Kind == DatabaseKind.Sqlite ? "0" : "false";
            await c.ExecuteAsync("INSERT INTO projects (id, name, created_at) VALUES ('default', 'default', 0)", transaction: t);
            await c.ExecuteAsync(
                $"""
                INSERT INTO runs (project_id, trace_id, name, root_seen, root_status, agent, agent_rank, release, release_rank, session_id,
                    session_rank, user_id, user_rank, outcome, outcome_rank, start_ns, end_ns, spans, steps, tool_calls, errors, input_tokens,
                    output_tokens, cached_input_tokens, reasoning_tokens, known_cost, unpriced_spans, redactions, created_at, updated_at)
                VALUES ('default', 'r1', NULL, {no}, 0, NULL, -1, NULL, -1, NULL, -1, NULL, -1, NULL, -1, 1000, 5000, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0)
                """,
                transaction: t);
            await c.ExecuteAsync(
                """
                INSERT INTO approval_requests (project_id, id, queue, status, severity, created_at, expires_at, decision_id, agent, tool, args_hash, evidence)
                VALUES ('default', 'apr_1', 'default', 'pending', 'medium', 1795327202123, 1795327302123, 'dec_1', 'a', 't', 'h', '{}')
                """,
                transaction: t);
        }, Ct);

        var applied = await NewMigrator().MigrateAsync(Ct);

        Assert.Contains(applied, m => m.Version == 9);
        var run = await _database.ReadAsync(c => c.QuerySingleAsync<(long, long, long, long)>(
            "SELECT start_ns, end_ns, CAST(violations AS bigint), CAST(CASE WHEN timed_by_agent THEN 1 ELSE 0 END AS bigint) FROM runs WHERE trace_id = 'r1'"), Ct);
        Assert.Equal((1000L, 5000L, 0L, 1L), run);
        var createdNs = await _database.ReadAsync(c => c.QuerySingleAsync<long>("SELECT created_ns FROM approval_requests WHERE id = 'apr_1'"), Ct);
        Assert.Equal(1795327202123L * 1_000_000, createdNs);
    }

    [Fact]
    public async Task MigrateAsync_UpToDateDatabase_AppliesNothing()
    {
        await NewMigrator().MigrateAsync(Ct);

        var applied = await NewMigrator().MigrateAsync(Ct);

        Assert.Empty(applied);
    }

    [Fact]
    public async Task MigrateAsync_NewerSchema_RefusesWithAClearMessage()
    {
        var migrator = NewMigrator();
        await migrator.MigrateAsync(Ct);
        var newer = migrator.LatestVersion + 1;
        await _database.WriteAsync((c, t) => c.ExecuteAsync(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@newer, 'from the future', 0)", new { newer }, t), Ct);

        var error = await Assert.ThrowsAsync<ReinStartupException>(() => NewMigrator().MigrateAsync(Ct));

        Assert.Contains($"version {newer}", error.Message, StringComparison.Ordinal);
        Assert.Contains($"version {migrator.LatestVersion}", error.Message, StringComparison.Ordinal);
        Assert.Contains("newer", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateAsync_TwoServersStartingTogether_MigrateOnce()
    {
        var results = await Task.WhenAll(Task.Run(() => NewMigrator().MigrateAsync(Ct)), Task.Run(() => NewMigrator().MigrateAsync(Ct)));

        Assert.Equal(NewMigrator().LatestVersion, results.Sum(r => r.Count));
        var rows = await _database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT count(*) FROM schema_migrations"), Ct);
        Assert.Equal(NewMigrator().LatestVersion, rows);
    }
}

public sealed class SqliteMigratorTests : MigratorTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.SqliteAsync(directory);

    [Fact]
    public async Task MigrateAsync_Sqlite_TurnsOnWal()
    {
        using var directory = new TempDirectory();
        await using var database = new SqliteReinDatabase(directory.Combine("wal.db"));
        await new Migrator(database, TimeProvider.System, NullLogger<Migrator>.Instance).MigrateAsync(Ct);

        Assert.Equal("wal", await database.ReadAsync(c => c.ExecuteScalarAsync<string>("PRAGMA journal_mode"), Ct));
    }
}

public sealed class PostgresMigratorTests(PostgresCluster cluster) : MigratorTests
{
    protected override Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory) => Dialects.PostgresAsync(cluster);
}

public sealed class MigrationFilesTests
{
    [Fact]
    public void BothDialects_HaveTheSameNumberedMigrations()
    {
        var sqlite = Migrator.Load(DatabaseKind.Sqlite);
        var postgres = Migrator.Load(DatabaseKind.Postgres);

        Assert.NotEmpty(sqlite);
        Assert.Equal(sqlite.Select(m => (m.Version, m.Name)), postgres.Select(m => (m.Version, m.Name)));
    }
}
