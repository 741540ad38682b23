using System.Data.Common;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Rein.Server.Storage;

namespace Rein.Server.Policies;

/// <summary>A run's budget state as the gate keeps it.</summary>
internal sealed class GateRunRow
{
    public string RunId { get; set; } = "";

    /// <summary>Steps after this transaction's increment.</summary>
    public long Steps { get; set; }

    public long StartedAt { get; set; }

    public long Depth { get; set; }

    /// <summary>1 once the run has read content flagged as possible prompt injection.</summary>
    public long Untrusted { get; set; }
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
    private static readonly string[] DecisionColumns =
    [
        "project_id", "id", "at", "agent", "release", "run_id", "session_id", "principal_id", "tool", "server", "effect", "mode",
        "policy_name", "policy_version", "policy_hash", "rules", "reasons", "obligations", "shadow", "input", "run_state", "latency_us",
        "trace_id", "span_id",
    ];

    private static readonly string[] CallParameters = ["@p", "@r", "@s", "@t", "@e", "@h"];

    private static readonly NpgsqlDbType[] DecisionColumnTypes =
    [
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Bigint, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer,
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Text,
    ];

    /// <summary>
    /// Adds <paramref name="steps"/> to a run's step count (creating the run at depth parent + 1) and returns its state;
    /// on PostgreSQL the upsert locks the row until commit, so replicas deciding for one run take turns.
    /// </summary>
    /// <summary>Advances the run of <paramref name="agent"/> (starting it, or claiming a run no agent owns yet);
    /// null, changing nothing, when another agent started it.</summary>
    public static Task<GateRunRow?> AdvanceRunAsync(DbConnection c, DbTransaction t, string projectId, string runId, string? parentRunId, string agent, int steps, long now) =>
        c.QuerySingleOrDefaultAsync<GateRunRow>(
            """
            INSERT INTO gate_runs (project_id, run_id, parent_run_id, depth, started_at, updated_at, steps, tool_counts, calls, agent)
            VALUES (@projectId, @runId, @parentRunId,
                    COALESCE((SELECT p.depth + 1 FROM gate_runs p WHERE p.project_id = @projectId AND p.run_id = @parentRunId), 0),
                    @now, @now, @steps, '{}', '[]', @agent)
            ON CONFLICT (project_id, run_id) DO UPDATE SET steps = gate_runs.steps + excluded.steps, updated_at = excluded.updated_at, agent = excluded.agent
            WHERE gate_runs.agent IS NULL OR gate_runs.agent = excluded.agent
            RETURNING run_id, steps, started_at, depth, untrusted
            """,
            new { projectId, runId, parentRunId, now, steps, agent },
            t);

    /// <summary>The agent that started a run; null when no agent owns it (or there is no such run).</summary>
    public static Task<string?> RunOwnerAsync(DbConnection c, DbTransaction t, string projectId, string runId) =>
        c.QuerySingleOrDefaultAsync<string?>("SELECT agent FROM gate_runs WHERE project_id = @projectId AND run_id = @runId", new { projectId, runId }, t);

    /// <summary>Marks a run as having read untrusted content (creating its row when the gate has not seen it yet);
    /// the gate's next decision for the run sees <c>run.untrusted</c>.</summary>
    public static Task MarkUntrustedAsync(DbConnection c, DbTransaction t, string projectId, string runId, long now) =>
        c.ExecuteAsync(
            """
            INSERT INTO gate_runs (project_id, run_id, parent_run_id, depth, started_at, updated_at, steps, tool_counts, calls, untrusted)
            VALUES (@projectId, @runId, NULL, 0, @now, @now, 0, '{}', '[]', 1)
            ON CONFLICT (project_id, run_id) DO UPDATE SET untrusted = 1
            """,
            new { projectId, runId, now },
            t);

    /// <summary>A run's <paramref name="max"/> most recent calls, oldest first.</summary>
    public static async Task<List<RunCall>> LoadCallsAsync(DbConnection c, DbTransaction t, string projectId, string runId, int max)
    {
        var rows = (await c.QueryAsync<(long Seq, string Tool, string Effect, string Hash)>(
            """
            SELECT seq, tool, effect, args_hash FROM gate_run_calls
            WHERE project_id = @projectId AND run_id = @runId ORDER BY seq DESC LIMIT @max
            """,
            new { projectId, runId, max },
            t)).ToList();
        rows.Reverse();
        return rows.ConvertAll(r => new RunCall(r.Seq, r.Tool, RunBudgetState.FromLetter(r.Effect), r.Hash));
    }

    /// <summary>Appends runs' new calls: one prepared statement on SQLite, one statement over arrays on PostgreSQL.</summary>
    public static async Task AppendCallsAsync(DbConnection c, DbTransaction t, string projectId, IReadOnlyList<(string RunId, RunCall Call)> calls)
    {
        if (calls.Count == 0)
        {
            return;
        }

        if (c is NpgsqlConnection)
        {
            await c.ExecuteAsync(
                """
                INSERT INTO gate_run_calls (project_id, run_id, seq, tool, effect, args_hash)
                SELECT @projectId, * FROM unnest(@runs, @seqs, @tools, @effects, @hashes)
                """,
                new
                {
                    projectId,
                    runs = calls.Select(x => x.RunId).ToArray(),
                    seqs = calls.Select(x => x.Call.Seq).ToArray(),
                    tools = calls.Select(x => x.Call.Tool).ToArray(),
                    effects = calls.Select(x => RunBudgetState.Letter(x.Call.Effect)).ToArray(),
                    hashes = calls.Select(x => x.Call.Hash).ToArray(),
                },
                t);
            return;
        }

        await using var command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText = "INSERT INTO gate_run_calls (project_id, run_id, seq, tool, effect, args_hash) VALUES (@p, @r, @s, @t, @e, @h)";
        var parameters = CallParameters.Select(name =>
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = name;
            command.Parameters.Add(parameter);
            return parameter;
        }).ToArray();
        await command.PrepareAsync();
        parameters[0].Value = projectId;
        foreach (var (runId, call) in calls)
        {
            parameters[1].Value = runId;
            parameters[2].Value = call.Seq;
            parameters[3].Value = call.Tool;
            parameters[4].Value = RunBudgetState.Letter(call.Effect);
            parameters[5].Value = call.Hash;
            await command.ExecuteNonQueryAsync();
        }
    }

    /// <summary>Forgets a run's calls up to and including step <paramref name="upTo"/>.</summary>
    public static Task TrimCallsAsync(DbConnection c, DbTransaction t, string projectId, string runId, long upTo) =>
        c.ExecuteAsync(
            "DELETE FROM gate_run_calls WHERE project_id = @projectId AND run_id = @runId AND seq <= @upTo",
            new { projectId, runId, upTo },
            t);

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

    /// <summary>Appends decision rows: one prepared statement reused row by row on SQLite (named parameters there
    /// are looked up linearly, so a wide multi-row INSERT costs quadratic time), a binary COPY on PostgreSQL.</summary>
    public static Task InsertDecisionsAsync(DbConnection c, DbTransaction t, IReadOnlyList<DecisionRow> rows) =>
        rows.Count == 0 ? Task.CompletedTask
        : c is NpgsqlConnection npgsql ? CopyDecisionsAsync(npgsql, rows)
        : InsertDecisionsOneByOneAsync(c, t, rows);

    private static object?[] Values(DecisionRow r) =>
    [
        r.ProjectId, r.Id, r.At, r.Agent, r.Release, r.RunId, r.SessionId, r.PrincipalId, r.Tool, r.Server, r.Effect, r.Mode,
        r.PolicyName, r.PolicyVersion, r.PolicyHash, r.Rules, r.Reasons, r.Obligations, r.Shadow, r.Input, r.RunState,
        (int)Math.Min(r.LatencyUs, int.MaxValue), r.TraceId, r.SpanId,
    ];

    private static async Task InsertDecisionsOneByOneAsync(DbConnection c, DbTransaction t, IReadOnlyList<DecisionRow> rows)
    {
        await using var command = c.CreateCommand();
        command.Transaction = t;
        command.CommandText = $"INSERT INTO decisions ({string.Join(", ", DecisionColumns)}) VALUES ({string.Join(", ", DecisionColumns.Select(n => "@" + n))})";
        var parameters = new DbParameter[DecisionColumns.Length];
        for (var i = 0; i < parameters.Length; i++)
        {
            parameters[i] = command.CreateParameter();
            parameters[i].ParameterName = "@" + DecisionColumns[i];
            command.Parameters.Add(parameters[i]);
        }

        await command.PrepareAsync();
        foreach (var row in rows)
        {
            var values = Values(row);
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            await command.ExecuteNonQueryAsync();
        }
    }

    private static async Task CopyDecisionsAsync(NpgsqlConnection c, IReadOnlyList<DecisionRow> rows)
    {
        await using var copy = await c.BeginBinaryImportAsync($"COPY decisions ({string.Join(", ", DecisionColumns)}) FROM STDIN (FORMAT BINARY)");
        foreach (var row in rows)
        {
            await copy.StartRowAsync();
            var values = Values(row);
            for (var i = 0; i < values.Length; i++)
            {
                if (values[i] is null)
                {
                    await copy.WriteNullAsync();
                }
                else
                {
                    await copy.WriteAsync(values[i], DecisionColumnTypes[i]);
                }
            }
        }

        await copy.CompleteAsync();
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
