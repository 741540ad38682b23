using System.Data.Common;
using System.Text.Json;
using Dapper;
using Rein.Core.Policies;

namespace Rein.Server.Policies;

/// <summary>A policy: its newest and its active version.</summary>
public sealed record PolicyRecord(string Name, int LatestVersion, int? ActiveVersion, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A stored, immutable version. <see cref="Source"/> is null when it was not read.</summary>
public sealed record PolicyVersionRecord(
    string Name,
    int Version,
    string Hash,
    PolicyMode Mode,
    IReadOnlyList<string> Agents,
    int Rules,
    int TestsPassed,
    DateTimeOffset CreatedAt,
    string? CreatedBy,
    string? Source);

/// <summary>One change of a policy's active version: <c>activate</c>, <c>rollback</c> or <c>deactivate</c>
/// (<see cref="Version"/> is then null).</summary>
public sealed record PolicyActivation(int Seq, int? Version, string Action, DateTimeOffset At, string? Actor);

/// <summary>A policy as listed: the mode and agents are those of its active version, or of its latest when none is active.</summary>
public sealed record PolicySummary(string Name, int? ActiveVersion, int LatestVersion, PolicyMode Mode, IReadOnlyList<string> Agents, DateTimeOffset UpdatedAt);

/// <summary>SQL for policies, versions and activations, the same text on SQLite and PostgreSQL. Writes take the
/// caller's transaction so that a change, its audit entry and the epoch bump commit together.</summary>
internal static class PolicyStore
{
    private const string VersionColumns = "name, version, hash, mode, agents, rules, tests_passed, created_at, created_by";

    public static async Task<PolicyRecord?> GetAsync(DbConnection c, DbTransaction? t, string projectId, string name) =>
        (await c.QueryFirstOrDefaultAsync<PolicyRow>(
            "SELECT name, latest_version, active_version, created_at, updated_at FROM policies WHERE project_id = @projectId AND name = @name",
            new { projectId, name },
            t))?.ToRecord();

    /// <summary>Creates the policy row when there is none (a concurrent creator wins quietly), then locks it until the
    /// transaction ends: every change of one policy is serialised on this row, on PostgreSQL across replicas too.</summary>
    public static async Task<PolicyRecord> CreateAndLockAsync(DbConnection c, DbTransaction t, string projectId, string name, DateTimeOffset now)
    {
        await c.ExecuteAsync(
            """
            INSERT INTO policies (project_id, name, latest_version, active_version, created_at, updated_at)
            VALUES (@projectId, @name, 0, NULL, @now, @now)
            ON CONFLICT (project_id, name) DO NOTHING
            """,
            new { projectId, name, now = now.ToUnixTimeMilliseconds() },
            t);
        return await LockAsync(c, t, projectId, name) ?? throw new InvalidOperationException($"Policy {name} vanished inside its transaction.");
    }

    /// <summary>Locks an existing policy's row until the transaction ends and returns it as it is then; null when there is none.</summary>
    public static async Task<PolicyRecord?> LockAsync(DbConnection c, DbTransaction t, string projectId, string name) =>
        // A no-op UPDATE takes the row lock on PostgreSQL (SQLite's writer holds the whole database); RETURNING reads
        // the row as the previous holder of the lock left it.
        (await c.QueryFirstOrDefaultAsync<PolicyRow>(
            """
            UPDATE policies SET latest_version = latest_version WHERE project_id = @projectId AND name = @name
            RETURNING name, latest_version, active_version, created_at, updated_at
            """,
            new { projectId, name },
            t))?.ToRecord();

    public static Task<long> CountAsync(DbConnection c, DbTransaction? t, string projectId) =>
        c.ExecuteScalarAsync<long>("SELECT count(*) FROM policies WHERE project_id = @projectId AND latest_version > 0", new { projectId }, t);

    /// <summary>Every policy of a project by name, with the mode and agents of its active or else latest version.</summary>
    public static async Task<IReadOnlyList<PolicySummary>> ListAsync(DbConnection c, string projectId, int limit) =>
        [.. (await c.QueryAsync<SummaryRow>(
                """
                SELECT p.name, p.latest_version, p.active_version, p.updated_at, v.mode, v.agents
                FROM policies p JOIN policy_versions v
                  ON v.project_id = p.project_id AND v.name = p.name AND v.version = COALESCE(p.active_version, p.latest_version)
                WHERE p.project_id = @projectId
                ORDER BY p.name
                LIMIT @limit
                """,
                new { projectId, limit }))
            .Select(r => new PolicySummary(r.Name, r.ActiveVersion, r.LatestVersion, ParseMode(r.Mode), ParseAgents(r.Agents), FromMs(r.UpdatedAt)))];

    public static async Task<PolicyVersionRecord?> GetVersionAsync(DbConnection c, DbTransaction? t, string projectId, string name, int version, bool withSource) =>
        (await c.QueryFirstOrDefaultAsync<VersionRow>(
            $"SELECT {VersionColumns}{(withSource ? ", source" : "")} FROM policy_versions WHERE project_id = @projectId AND name = @name AND version = @version",
            new { projectId, name, version },
            t))?.ToRecord();

    public static async Task<PolicyVersionRecord?> FindByHashAsync(DbConnection c, DbTransaction t, string projectId, string name, string hash) =>
        (await c.QueryFirstOrDefaultAsync<VersionRow>(
            $"SELECT {VersionColumns} FROM policy_versions WHERE project_id = @projectId AND name = @name AND hash = @hash",
            new { projectId, name, hash },
            t))?.ToRecord();

    /// <summary>The newest versions first, without their sources.</summary>
    public static async Task<IReadOnlyList<PolicyVersionRecord>> ListVersionsAsync(DbConnection c, string projectId, string name, int limit) =>
        [.. (await c.QueryAsync<VersionRow>(
                $"SELECT {VersionColumns} FROM policy_versions WHERE project_id = @projectId AND name = @name ORDER BY version DESC LIMIT @limit",
                new { projectId, name, limit }))
            .Select(r => r.ToRecord())];

    /// <summary>Adds a version and makes it the policy's latest; the policy's row must be locked by the caller.</summary>
    public static async Task InsertVersionAsync(DbConnection c, DbTransaction t, string projectId, PolicyVersionRecord v, string source)
    {
        await c.ExecuteAsync(
            """
            INSERT INTO policy_versions (project_id, name, version, hash, source, mode, agents, rules, tests_passed, created_at, created_by)
            VALUES (@projectId, @Name, @Version, @Hash, @source, @mode, @agents, @Rules, @TestsPassed, @createdAt, @CreatedBy);
            UPDATE policies SET latest_version = @Version, updated_at = @createdAt WHERE project_id = @projectId AND name = @Name;
            """,
            new
            {
                projectId,
                v.Name,
                v.Version,
                v.Hash,
                source,
                mode = v.Mode.ToName(),
                agents = JsonSerializer.Serialize(v.Agents),
                v.Rules,
                v.TestsPassed,
                createdAt = v.CreatedAt.ToUnixTimeMilliseconds(),
                v.CreatedBy,
            },
            t);
    }

    /// <summary>Sets (or clears) the active version and records the change as the next activation.</summary>
    public static async Task<PolicyActivation> SetActiveAsync(
        DbConnection c, DbTransaction t, string projectId, string name, int? version, string action, DateTimeOffset at, string actor)
    {
        var ms = at.ToUnixTimeMilliseconds();
        var seq = await c.ExecuteScalarAsync<int>(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM policy_activations WHERE project_id = @projectId AND name = @name", new { projectId, name }, t);
        await c.ExecuteAsync(
            """
            UPDATE policies SET active_version = @version, updated_at = @ms WHERE project_id = @projectId AND name = @name;
            INSERT INTO policy_activations (project_id, name, seq, version, action, at, actor) VALUES (@projectId, @name, @seq, @version, @action, @ms, @actor);
            """,
            new { projectId, name, version, ms, seq, action, actor },
            t);
        return new PolicyActivation(seq, version, action, DateTimeOffset.FromUnixTimeMilliseconds(ms), actor);
    }

    /// <summary>The newest activations first.</summary>
    public static async Task<IReadOnlyList<PolicyActivation>> ListActivationsAsync(DbConnection c, DbTransaction? t, string projectId, string name, int limit) =>
        [.. (await c.QueryAsync<ActivationRow>(
                "SELECT seq, version, action, at, actor FROM policy_activations WHERE project_id = @projectId AND name = @name ORDER BY seq DESC LIMIT @limit",
                new { projectId, name, limit },
                t))
            .Select(r => new PolicyActivation(r.Seq, r.Version, r.Action, FromMs(r.At), r.Actor))];

    internal static PolicyMode ParseMode(string mode) =>
        PolicyNames.TryParseMode(mode, out var parsed) ? parsed : throw new InvalidOperationException($"Stored policy mode '{mode}' is not a mode.");

    internal static IReadOnlyList<string> ParseAgents(string json) => JsonSerializer.Deserialize<string[]>(json) ?? [];

    internal static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private sealed class PolicyRow
    {
        public string Name { get; set; } = "";
        public int LatestVersion { get; set; }
        public int? ActiveVersion { get; set; }
        public long CreatedAt { get; set; }
        public long UpdatedAt { get; set; }

        public PolicyRecord ToRecord() => new(Name, LatestVersion, ActiveVersion, FromMs(CreatedAt), FromMs(UpdatedAt));
    }

    private sealed class SummaryRow
    {
        public string Name { get; set; } = "";
        public int LatestVersion { get; set; }
        public int? ActiveVersion { get; set; }
        public long UpdatedAt { get; set; }
        public string Mode { get; set; } = "";
        public string Agents { get; set; } = "[]";
    }

    private sealed class VersionRow
    {
        public string Name { get; set; } = "";
        public int Version { get; set; }
        public string Hash { get; set; } = "";
        public string Mode { get; set; } = "";
        public string Agents { get; set; } = "[]";
        public int Rules { get; set; }
        public int TestsPassed { get; set; }
        public long CreatedAt { get; set; }
        public string? CreatedBy { get; set; }
        public string? Source { get; set; }

        public PolicyVersionRecord ToRecord() =>
            new(Name, Version, Hash, ParseMode(Mode), ParseAgents(Agents), Rules, TestsPassed, FromMs(CreatedAt), CreatedBy, Source);
    }

    private sealed class ActivationRow
    {
        public int Seq { get; set; }
        public int? Version { get; set; }
        public string Action { get; set; } = "";
        public long At { get; set; }
        public string? Actor { get; set; }
    }
}
