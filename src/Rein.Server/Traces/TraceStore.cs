using System.Data.Common;
using Dapper;
using Npgsql;
using NpgsqlTypes;
using Rein.Core.Traces;
using Rein.Server.Storage;

namespace Rein.Server.Traces;

/// <summary>Spans of one ingest request, for one project.</summary>
internal sealed record SpanBatch(string ProjectId, IReadOnlyList<Span> Spans);

/// <summary>What became of one batch: spans newly stored, already stored before (a re-send), refused because their
/// run was full.</summary>
internal readonly record struct BatchOutcome(int Stored, int Duplicates, int RefusedTraceFull);

/// <summary>
/// The trace tables. Spans go in with the engine's bulk path (prepared inserts in one transaction on SQLite, binary
/// COPY through a temporary table on PostgreSQL); a span already stored is skipped, and only new spans add to their
/// run, so a re-sent batch changes nothing. Run rows are merged in SQL so that concurrent writers (several replicas)
/// never lose an update.
/// </summary>
internal sealed partial class TraceStore(ReinDatabase database)
{
    internal const string SpanColumns =
        "project_id, trace_id, span_id, parent_span_id, name, kind, start_ns, end_ns, status, status_message, operation, provider, model, " +
        "agent, agent_version, session_id, user_id, tool_name, service_name, outcome, input_tokens, output_tokens, cached_input_tokens, " +
        "reasoning_tokens, cost, cost_unknown, redactions, dropped_attributes, dropped_events, truncated_values, scope, attributes, events, resource";

    private const string RunColumns =
        "trace_id, name, root_seen, root_status, agent, release, session_id, user_id, outcome, start_ns, end_ns, spans, steps, tool_calls, " +
        "errors, violations, input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, known_cost, unpriced_spans, redactions";

    /// <summary>Bound on ids in one IN list, well under both engines' parameter limits.</summary>
    private const int InListChunk = 500;

    private bool IsPostgres => database.Kind == DatabaseKind.Postgres;

    public Task<BatchOutcome[]> WriteAsync(IReadOnlyList<SpanBatch> batches, int maxSpansPerTrace, long nowMs, CancellationToken cancellationToken) =>
        database.WriteAsync(async (connection, transaction) =>
        {
            var outcomes = new BatchOutcome[batches.Count];
            var accepted = new List<(int Batch, string ProjectId, Span Span)>();
            var duplicatesInWrite = new int[batches.Count];
            foreach (var project in batches.Select(b => b.ProjectId).Distinct(StringComparer.Ordinal))
            {
                var traceIds = batches.Where(b => b.ProjectId == project).SelectMany(b => b.Spans).Select(s => s.TraceId).Distinct(StringComparer.Ordinal).ToList();
                var counts = await SpanCountsAsync(connection, transaction, project, traceIds);
                var seen = new HashSet<(string, string)>();
                for (var i = 0; i < batches.Count; i++)
                {
                    if (batches[i].ProjectId != project)
                    {
                        continue;
                    }

                    foreach (var span in batches[i].Spans)
                    {
                        if (!seen.Add((span.TraceId, span.SpanId)))
                        {
                            duplicatesInWrite[i]++;
                            continue;
                        }

                        counts.TryGetValue(span.TraceId, out var count);
                        if (count >= maxSpansPerTrace)
                        {
                            outcomes[i] = outcomes[i] with { RefusedTraceFull = outcomes[i].RefusedTraceFull + 1 };
                            continue;
                        }

                        counts[span.TraceId] = count + 1;
                        accepted.Add((i, project, span));
                    }
                }
            }

            var inserted = IsPostgres
                ? await InsertPostgresAsync((NpgsqlConnection)connection, (NpgsqlTransaction)transaction, accepted)
                : await InsertSqliteAsync(connection, transaction, accepted);

            var attempted = new int[batches.Count];
            var stored = new int[batches.Count];
            accepted.ForEach(a => attempted[a.Batch]++);
            inserted.ForEach(a => stored[a.Batch]++);
            for (var i = 0; i < batches.Count; i++)
            {
                outcomes[i] = outcomes[i] with { Stored = stored[i], Duplicates = attempted[i] - stored[i] + duplicatesInWrite[i] };
            }

            foreach (var group in inserted.GroupBy(a => a.ProjectId, StringComparer.Ordinal))
            {
                // Ordered by trace id so that two writers touching the same runs lock them in the same order.
                var contributions = RunContributions.From([.. group.Select(a => a.Span)]).OrderBy(c => c.TraceId, StringComparer.Ordinal).ToList();
                await MergeRunsAsync(connection, transaction, group.Key, contributions, nowMs);
            }

            return outcomes;
        }, cancellationToken);

    private async Task<Dictionary<string, int>> SpanCountsAsync(DbConnection connection, DbTransaction transaction, string projectId, List<string> traceIds)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var chunk in traceIds.Chunk(InListChunk))
        {
            var rows = IsPostgres
                ? await connection.QueryAsync<(string, int)>(
                    "SELECT trace_id, spans FROM runs WHERE project_id = @projectId AND trace_id = ANY(@ids)", new { projectId, ids = chunk }, transaction)
                : await connection.QueryAsync<(string, long)>(
                    "SELECT trace_id, spans FROM runs WHERE project_id = @projectId AND trace_id IN @ids", new { projectId, ids = chunk }, transaction)
                    .ContinueWith(t => t.Result.Select(r => (r.Item1, (int)r.Item2)), TaskScheduler.Default);
            foreach (var (trace, spans) in rows)
            {
                counts[trace] = spans;
            }
        }

        return counts;
    }

    private static async Task<List<(int Batch, string ProjectId, Span Span)>> InsertSqliteAsync(
        DbConnection connection, DbTransaction transaction, List<(int Batch, string ProjectId, Span Span)> spans)
    {
        var inserted = new List<(int, string, Span)>(spans.Count);
        if (spans.Count == 0)
        {
            return inserted;
        }

        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        var names = SpanColumns.Split(", ");
        command.CommandText = $"INSERT INTO spans ({SpanColumns}) VALUES ({string.Join(", ", names.Select(n => "@" + n))}) ON CONFLICT DO NOTHING";
        var parameters = new DbParameter[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            parameters[i] = command.CreateParameter();
            parameters[i].ParameterName = "@" + names[i];
            command.Parameters.Add(parameters[i]);
        }

        await command.PrepareAsync();
        var rows = new SpanRows();
        foreach (var item in spans)
        {
            var values = rows.Values(item.ProjectId, item.Span);
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            if (await command.ExecuteNonQueryAsync() == 1)
            {
                inserted.Add(item);
            }
        }

        return inserted;
    }

    private static async Task<List<(int Batch, string ProjectId, Span Span)>> InsertPostgresAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, List<(int Batch, string ProjectId, Span Span)> spans)
    {
        var inserted = new List<(int, string, Span)>(spans.Count);
        if (spans.Count == 0)
        {
            return inserted;
        }

        await using (var create = new NpgsqlCommand(
            "CREATE TEMP TABLE IF NOT EXISTS spans_incoming (LIKE spans) ON COMMIT DELETE ROWS; SET LOCAL client_min_messages = warning;", connection, transaction))
        {
            await create.ExecuteNonQueryAsync();
        }

        var types = SpanColumnTypes;
        await using (var copy = await connection.BeginBinaryImportAsync($"COPY spans_incoming ({SpanColumns}) FROM STDIN (FORMAT BINARY)"))
        {
            var rows = new SpanRows();
            foreach (var item in spans)
            {
                await copy.StartRowAsync();
                var values = rows.Values(item.ProjectId, item.Span);
                for (var i = 0; i < values.Length; i++)
                {
                    if (values[i] is null)
                    {
                        await copy.WriteNullAsync();
                    }
                    else
                    {
                        await copy.WriteAsync(values[i], types[i]);
                    }
                }
            }

            await copy.CompleteAsync();
        }

        var keys = new HashSet<(string, string, string)>();
        await using (var insert = new NpgsqlCommand(
            $"INSERT INTO spans ({SpanColumns}) SELECT {SpanColumns} FROM spans_incoming ON CONFLICT DO NOTHING RETURNING project_id, trace_id, span_id",
            connection, transaction))
        await using (var reader = await insert.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                keys.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        await using (var clear = new NpgsqlCommand("TRUNCATE spans_incoming", connection, transaction))
        {
            await clear.ExecuteNonQueryAsync();
        }

        inserted.AddRange(spans.Where(s => keys.Contains((s.ProjectId, s.Span.TraceId, s.Span.SpanId))));
        return inserted;
    }

    internal static readonly NpgsqlDbType[] SpanColumnTypes =
    [
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Integer,
        NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Bigint, NpgsqlDbType.Double, NpgsqlDbType.Boolean,
        NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Integer, NpgsqlDbType.Text, NpgsqlDbType.Text,
        NpgsqlDbType.Text, NpgsqlDbType.Text,
    ];

    /// <summary>One span's column values in <see cref="SpanColumns"/> order.</summary>
    internal static object?[] SpanValues(string projectId, Span s) => new SpanRows().Values(projectId, s);

    /// <summary>
    /// Builds rows for one write. Spans of one resource share its (normalised) attribute list, so its JSON is written
    /// once per run of such spans rather than once per span.
    /// </summary>
    internal sealed class SpanRows
    {
        private IReadOnlyList<SpanAttribute>? _resource;
        private string _resourceJson = "";

        public object?[] Values(string projectId, Span s)
        {
            if (!ReferenceEquals(s.Resource, _resource))
            {
                _resource = s.Resource;
                _resourceJson = SpanJson.Attributes(s.Resource);
            }

            return
            [
                projectId, s.TraceId, s.SpanId, s.ParentSpanId, s.Name, (int)s.Kind,
                s.StartUnixNano, s.EndUnixNano, (int)s.Status, s.StatusMessage, s.Operation, s.Provider, s.Model,
                s.AgentName, s.AgentVersion, s.SessionId, s.UserId, s.ToolName, s.ServiceName, s.Outcome,
                s.Tokens.Input, s.Tokens.Output, s.Tokens.CachedInput, s.Tokens.Reasoning, s.Cost is { } cost ? (double)cost : null, s.CostUnknown,
                s.Redactions, s.DroppedAttributes, s.DroppedEvents, s.TruncatedValues, s.ScopeName, SpanJson.Attributes(s.Attributes),
                SpanJson.Events(s.Events), _resourceJson,
            ];
        }
    }

    private async Task MergeRunsAsync(DbConnection connection, DbTransaction transaction, string projectId, List<RunContribution> contributions, long nowMs)
    {
        string Max(string a, string b) => IsPostgres ? $"GREATEST({a}, {b})" : $"max({a}, {b})";
        string Min(string a, string b) => IsPostgres ? $"LEAST({a}, {b})" : $"min({a}, {b})";
        string Ranked(string column, string rank) =>
            $"{column} = CASE WHEN excluded.{rank} > runs.{rank} THEN excluded.{column} ELSE runs.{column} END, {rank} = {Max("runs." + rank, "excluded." + rank)}";
        var rootSeen = IsPostgres ? "excluded.root_seen" : "excluded.root_seen = 1";

        // Times from the agent's spans replace the ones Rein's own spans stood in with, and are never moved by them.
        string Time(string column, Func<string, string, string> merge)
        {
            var (incoming, stored) = IsPostgres
                ? ("excluded.timed_by_agent", "runs.timed_by_agent")
                : ("excluded.timed_by_agent = 1", "runs.timed_by_agent = 1");
            return $"{column} = CASE WHEN {incoming} AND NOT {stored} THEN excluded.{column} " +
                $"WHEN {stored} AND NOT {incoming} THEN runs.{column} ELSE {merge("runs." + column, "excluded." + column)} END";
        }

        var sql = $"""
            INSERT INTO runs (project_id, trace_id, name, root_seen, root_status, agent, agent_rank, release, release_rank, session_id, session_rank,
                user_id, user_rank, outcome, outcome_rank, start_ns, end_ns, timed_by_agent, spans, steps, tool_calls, errors, violations,
                input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, known_cost, unpriced_spans, redactions, created_at, updated_at)
            VALUES (@projectId, @traceId, @name, @rootSeen, @rootStatus, @agent, @agentRank, @release, @releaseRank, @session, @sessionRank,
                @user, @userRank, @outcome, @outcomeRank, @start, @end, @timedByAgent, @spans, @steps, @toolCalls, @errors, @violations,
                @inputTokens, @outputTokens, @cachedInputTokens, @reasoningTokens, @knownCost, @unpricedSpans, @redactions, @now, @now)
            ON CONFLICT (project_id, trace_id) DO UPDATE SET
                name = CASE WHEN {rootSeen} THEN excluded.name ELSE runs.name END,
                root_status = CASE WHEN {rootSeen} THEN excluded.root_status ELSE runs.root_status END,
                root_seen = {(IsPostgres ? "runs.root_seen OR excluded.root_seen" : Max("runs.root_seen", "excluded.root_seen"))},
                {Ranked("agent", "agent_rank")},
                {Ranked("release", "release_rank")},
                {Ranked("session_id", "session_rank")},
                {Ranked("user_id", "user_rank")},
                {Ranked("outcome", "outcome_rank")},
                {Time("start_ns", Min)},
                {Time("end_ns", Max)},
                timed_by_agent = {(IsPostgres ? "runs.timed_by_agent OR excluded.timed_by_agent" : Max("runs.timed_by_agent", "excluded.timed_by_agent"))},
                spans = runs.spans + excluded.spans,
                steps = runs.steps + excluded.steps,
                tool_calls = runs.tool_calls + excluded.tool_calls,
                errors = runs.errors + excluded.errors,
                violations = runs.violations + excluded.violations,
                input_tokens = runs.input_tokens + excluded.input_tokens,
                output_tokens = runs.output_tokens + excluded.output_tokens,
                cached_input_tokens = runs.cached_input_tokens + excluded.cached_input_tokens,
                reasoning_tokens = runs.reasoning_tokens + excluded.reasoning_tokens,
                known_cost = runs.known_cost + excluded.known_cost,
                unpriced_spans = runs.unpriced_spans + excluded.unpriced_spans,
                redactions = runs.redactions + excluded.redactions,
                updated_at = excluded.updated_at
            """;
        var rows = contributions.Select(c => new
        {
            projectId,
            traceId = c.TraceId,
            name = c.Root?.Name,
            rootSeen = c.Root is not null,
            rootStatus = (int)(c.Root?.Status ?? SpanStatus.Unset),
            agent = c.Agent?.Value,
            agentRank = c.Agent?.Rank ?? -1,
            release = c.Release?.Value,
            releaseRank = c.Release?.Rank ?? -1,
            session = c.Session?.Value,
            sessionRank = c.Session?.Rank ?? -1,
            user = c.User?.Value,
            userRank = c.User?.Rank ?? -1,
            outcome = c.Outcome?.Value,
            outcomeRank = c.Outcome?.Rank ?? -1,
            start = c.StartUnixNano,
            end = c.EndUnixNano,
            timedByAgent = c.TimedByAgent,
            spans = c.Spans,
            steps = c.Steps,
            toolCalls = c.ToolCalls,
            errors = c.Errors,
            violations = c.Violations,
            inputTokens = c.InputTokens,
            outputTokens = c.OutputTokens,
            cachedInputTokens = c.CachedInputTokens,
            reasoningTokens = c.ReasoningTokens,
            knownCost = (double)c.KnownCost,
            unpricedSpans = c.UnpricedSpans,
            redactions = c.Redactions,
            now = nowMs,
        }).ToList();
        await connection.ExecuteAsync(sql, rows, transaction);

        var tools = contributions.SelectMany(c => c.ToolNames.Select(t => new { projectId, tool = t, traceId = c.TraceId })).ToList();
        if (tools.Count > 0)
        {
            await connection.ExecuteAsync(
                "INSERT INTO run_tools (project_id, tool_name, trace_id) VALUES (@projectId, @tool, @traceId) ON CONFLICT DO NOTHING", tools, transaction);
        }
    }
}
