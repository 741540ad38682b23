using System.Data.Common;
using Dapper;

namespace Rein.Server.Policies;

/// <summary>SQL for kill switches, the same text on SQLite and PostgreSQL.</summary>
internal static class KillSwitchStore
{
    private const string Columns = "scope, target, agent, reason, created_at, created_by";

    public static async Task<IReadOnlyList<KillSwitch>> ListAsync(DbConnection c, DbTransaction? t, string projectId) =>
        [.. (await c.QueryAsync<Row>(
                $"SELECT {Columns} FROM kill_switches WHERE project_id = @projectId ORDER BY scope, target, agent", new { projectId }, t))
            .Select(r => r.ToKillSwitch())];

    public static async Task<KillSwitch?> GetAsync(DbConnection c, DbTransaction? t, string projectId, string scope, string target, string agent) =>
        (await c.QueryFirstOrDefaultAsync<Row>(
            $"SELECT {Columns} FROM kill_switches WHERE project_id = @projectId AND scope = @scope AND target = @target AND agent = @agent",
            new { projectId, scope, target, agent },
            t))?.ToKillSwitch();

    public static Task<long> CountAsync(DbConnection c, DbTransaction? t, string projectId) =>
        c.ExecuteScalarAsync<long>("SELECT count(*) FROM kill_switches WHERE project_id = @projectId", new { projectId }, t);

    /// <summary>Inserts the switch; false when an equal one is there already (nothing changes then).</summary>
    public static async Task<bool> InsertAsync(DbConnection c, DbTransaction t, string projectId, KillSwitch s) =>
        await c.ExecuteAsync(
            """
            INSERT INTO kill_switches (project_id, scope, target, agent, reason, created_at, created_by)
            VALUES (@projectId, @Scope, @Target, @Agent, @Reason, @createdAt, @CreatedBy)
            ON CONFLICT (project_id, scope, target, agent) DO NOTHING
            """,
            new { projectId, s.Scope, s.Target, s.Agent, s.Reason, createdAt = s.CreatedAt.ToUnixTimeMilliseconds(), s.CreatedBy },
            t) == 1;

    public static async Task<bool> DeleteAsync(DbConnection c, DbTransaction t, string projectId, string scope, string target, string agent) =>
        await c.ExecuteAsync(
            "DELETE FROM kill_switches WHERE project_id = @projectId AND scope = @scope AND target = @target AND agent = @agent",
            new { projectId, scope, target, agent },
            t) == 1;

    private sealed class Row
    {
        public string Scope { get; set; } = "";
        public string Target { get; set; } = "";
        public string Agent { get; set; } = "";
        public string? Reason { get; set; }
        public long CreatedAt { get; set; }
        public string? CreatedBy { get; set; }

        public KillSwitch ToKillSwitch() => new(Scope, Target, Agent, Reason, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt), CreatedBy);
    }
}
