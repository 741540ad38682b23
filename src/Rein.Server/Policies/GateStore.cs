using System.Data.Common;
using System.Globalization;
using System.Text;
using Dapper;
using Rein.Server.Storage;

namespace Rein.Server.Policies;

/// <summary>A run's budget state as the gate keeps it.</summary>
internal sealed class GateRunRow
{
    public string RunId { get; set; } = "";

    /// <summary>Steps after this transaction's increment.</summary>
    public long Steps { get; set; }

    /// <summary>The run's recent calls as JSON: <c>[["tool","a","hash"],...]</c>, oldest first.</summary>
    public string Calls { get; set; } = "[]";

    public long StartedAt { get; set; }

    public long Depth { get; set; }
}

/// <summary>One row of the decision log.</summary>
internal sealed record DecisionRow(
    string ProjectId,
    string Id,
    long At,
    string Agent,
    string? Release,
    string? RunId,
    string? SessionId,
    string? PrincipalId,
    string Tool,
    string? Server,
    string Effect,
    string? Mode,
    string? PolicyName,
    int? PolicyVersion,
    string? PolicyHash,
    string Rules,
    string Reasons,
    string Obligations,
    string Shadow,
    string Input,
    string RunState,
    long LatencyUs,
    string? TraceId,
    string? SpanId);

/// <summary>The gate's tables: per-run budget state, rate-limit counters and the decision log. Writes run inside the
/// writer's transaction, so a decision, the state it changed and its log row commit together.</summary>
internal sealed class GateStore(ReinDatabase database)
{
    /// <summary>Rows per multi-row INSERT: 24 parameters a row stays far below both engines' parameter limits.</summary>
    private const int InsertChunk = 400;

    private static readonly string[] DecisionColumns =
    [
        "project_id", "id", "at", "agent", "release", "run_id", "session_id", "principal_id", "tool", "server", "effect", "mode",
        "policy_name", "policy_version", "policy_hash", "rules", "reasons", "obligations", "shadow", "input", "run_state", "latency_us",
        "trace_id", "span_id",
    ];

    /// <summary>
    /// Adds <paramref name="steps"/> to a run's step count (creating the run at depth parent + 1) and returns its state;
    /// on PostgreSQL the upsert locks the row until commit, so replicas deciding for one run take turns.
    /// </summary>
    public static Task<GateRunRow> AdvanceRunAsync(DbConnection c, DbTransaction t, string projectId, string runId, string? parentRunId, int steps, long now) =>
        c.QuerySingleAsync<GateRunRow>(
            """
            INSERT INTO gate_runs (project_id, run_id, parent_run_id, depth, started_at, updated_at, steps, tool_counts, calls)
            VALUES (@projectId, @runId, @parentRunId,
                    COALESCE((SELECT p.depth + 1 FROM gate_runs p WHERE p.project_id = @projectId AND p.run_id = @parentRunId), 0),
                    @now, @now, @steps, '{}', '[]')
            ON CONFLICT (project_id, run_id) DO UPDATE SET steps = gate_runs.steps + excluded.steps, updated_at = excluded.updated_at
            RETURNING run_id, steps, calls, started_at, depth
            """,
            new { projectId, runId, parentRunId, now, steps },
            t);

    public static Task SaveCallsAsync(DbConnection c, DbTransaction t, string projectId, string runId, string calls) =>
        c.ExecuteAsync("UPDATE gate_runs SET calls = @calls WHERE project_id = @projectId AND run_id = @runId", new { projectId, runId, calls }, t);

    /// <summary>Counts one call against a fixed window and returns the window's count including it.</summary>
    public static Task<long> CountRateAsync(DbConnection c, DbTransaction t, string projectId, string key, long windowStart) =>
        c.ExecuteScalarAsync<long>(
            """
            INSERT INTO gate_rate_counters (project_id, counter_key, window_start, count) VALUES (@projectId, @key, @windowStart, 1)
            ON CONFLICT (project_id, counter_key, window_start) DO UPDATE SET count = gate_rate_counters.count + 1
            RETURNING count
            """,
            new { projectId, key, windowStart },
            t);

    public static async Task InsertDecisionsAsync(DbConnection c, DbTransaction t, IReadOnlyList<DecisionRow> rows)
    {
        for (var start = 0; start < rows.Count; start += InsertChunk)
        {
            var count = Math.Min(InsertChunk, rows.Count - start);
            var sql = new StringBuilder("INSERT INTO decisions (").AppendJoin(", ", DecisionColumns).Append(") VALUES ");
            var parameters = new DynamicParameters();
            for (var i = 0; i < count; i++)
            {
                var r = rows[start + i];
                sql.Append(i == 0 ? "(" : ", (");
                object?[] values =
                [
                    r.ProjectId, r.Id, r.At, r.Agent, r.Release, r.RunId, r.SessionId, r.PrincipalId, r.Tool, r.Server, r.Effect, r.Mode,
                    r.PolicyName, r.PolicyVersion, r.PolicyHash, r.Rules, r.Reasons, r.Obligations, r.Shadow, r.Input, r.RunState, r.LatencyUs,
                    r.TraceId, r.SpanId,
                ];
                for (var k = 0; k < values.Length; k++)
                {
                    var name = string.Create(CultureInfo.InvariantCulture, $"p{i}_{k}");
                    sql.Append(k == 0 ? "@" : ", @").Append(name);
                    parameters.Add(name, values[k]);
                }

                sql.Append(')');
            }

            await c.ExecuteAsync(sql.ToString(), parameters, t);
        }
    }

    public Task<StoredDecision?> GetAsync(string projectId, string id, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.QuerySingleOrDefaultAsync<StoredDecision>(
            "SELECT * FROM decisions WHERE project_id = @projectId AND id = @id", new { projectId, id }), cancellationToken);

    /// <summary>Newest first, ids below <paramref name="before"/> when given.</summary>
    public Task<List<StoredDecision>> ListAsync(string projectId, DecisionFilter filter, string? before, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync(async c => (await c.QueryAsync<StoredDecision>(
            """
            SELECT * FROM decisions
            WHERE project_id = @projectId
              AND (@before IS NULL OR id < @before)
              AND (@effect IS NULL OR effect = @effect)
              AND (@agent IS NULL OR agent = @agent)
              AND (@tool IS NULL OR tool = @tool)
              AND (@runId IS NULL OR run_id = @runId)
              AND (@policy IS NULL OR policy_name = @policy)
              AND (@from IS NULL OR at >= @from)
              AND (@to IS NULL OR at < @to)
              AND (@rule IS NULL OR rules LIKE @ruleLike ESCAPE '\' OR reasons LIKE @reasonLike ESCAPE '\')
            ORDER BY id DESC LIMIT @limit
            """,
            new
            {
                projectId,
                before,
                effect = filter.Effect,
                agent = filter.Agent,
                tool = filter.Tool,
                runId = filter.RunId,
                policy = filter.Policy,
                from = filter.From?.ToUnixTimeMilliseconds(),
                to = filter.To?.ToUnixTimeMilliseconds(),
                rule = filter.Rule,
                ruleLike = filter.Rule is null ? null : "%" + Like(System.Text.Json.JsonSerializer.Serialize(filter.Rule)) + "%",
                reasonLike = filter.Rule is null ? null : "%\"rule\":" + Like(System.Text.Json.JsonSerializer.Serialize(filter.Rule)) + "%",
                limit,
            })).AsList(), cancellationToken);

    /// <summary>Decisions at or after <paramref name="since"/>, oldest first, for a backtest.</summary>
    public Task<List<StoredDecision>> SinceAsync(string projectId, long since, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync(async c => (await c.QueryAsync<StoredDecision>(
            "SELECT * FROM decisions WHERE project_id = @projectId AND at >= @since ORDER BY id LIMIT @limit",
            new { projectId, since, limit })).AsList(), cancellationToken);

    private static string Like(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}

/// <summary>Filters of the decision log; null means any.</summary>
public sealed record DecisionFilter
{
    public string? Effect { get; init; }

    public string? Agent { get; init; }

    public string? Tool { get; init; }

    public string? Rule { get; init; }

    public string? RunId { get; init; }

    public string? Policy { get; init; }

    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }
}

/// <summary>A decision as stored.</summary>
internal sealed class StoredDecision
{
    public string ProjectId { get; set; } = "";

    public string Id { get; set; } = "";

    public long At { get; set; }

    public string Agent { get; set; } = "";

    public string? Release { get; set; }

    public string? RunId { get; set; }

    public string? SessionId { get; set; }

    public string? PrincipalId { get; set; }

    public string Tool { get; set; } = "";

    public string? Server { get; set; }

    public string Effect { get; set; } = "";

    public string? Mode { get; set; }

    public string? PolicyName { get; set; }

    public long? PolicyVersion { get; set; }

    public string? PolicyHash { get; set; }

    public string Rules { get; set; } = "[]";

    public string Reasons { get; set; } = "[]";

    public string Obligations { get; set; } = "{}";

    public string Shadow { get; set; } = "[]";

    public string Input { get; set; } = "{}";

    public string RunState { get; set; } = "{}";

    public long LatencyUs { get; set; }

    public string? TraceId { get; set; }

    public string? SpanId { get; set; }
}
