using Dapper;
using Rein.Core.Traces;

namespace Rein.Server.Traces;

/// <summary>Reading runs, spans and sessions back.</summary>
internal sealed partial class TraceStore
{
    private sealed class RunRow
    {
        public string ProjectId { get; set; } = "";
        public string TraceId { get; set; } = "";
        public string? Name { get; set; }
        public bool RootSeen { get; set; }
        public int RootStatus { get; set; }
        public string? Agent { get; set; }
        public string? Release { get; set; }
        public string? SessionId { get; set; }
        public string? UserId { get; set; }
        public string? Outcome { get; set; }
        public long StartNs { get; set; }
        public long EndNs { get; set; }
        public int Spans { get; set; }
        public int Steps { get; set; }
        public int ToolCalls { get; set; }
        public int Errors { get; set; }
        public int Violations { get; set; }
        public long InputTokens { get; set; }
        public long OutputTokens { get; set; }
        public long CachedInputTokens { get; set; }
        public long ReasoningTokens { get; set; }
        public double KnownCost { get; set; }
        public int UnpricedSpans { get; set; }
        public int Redactions { get; set; }

        public RunSummary ToSummary() => new()
        {
            Id = TraceId,
            ProjectId = ProjectId,
            Name = Name,
            Agent = Agent,
            Release = Release,
            Session = SessionId,
            User = UserId,
            Status = RunOutcome.Resolve(Outcome, RootSeen, (SpanStatus)RootStatus) switch
            {
                "success" => RunStatus.Success,
                "failure" => RunStatus.Failure,
                "escalated" => RunStatus.Escalated,
                _ => RunStatus.Running,
            },
            StartUnixNano = StartNs,
            EndUnixNano = EndNs,
            StartedAt = DateTimeOffset.UnixEpoch.AddTicks(StartNs / 100),
            Spans = Spans,
            Steps = Steps,
            ToolCalls = ToolCalls,
            Errors = Errors,
            Violations = Violations,
            InputTokens = InputTokens,
            OutputTokens = OutputTokens,
            CachedInputTokens = CachedInputTokens,
            ReasoningTokens = ReasoningTokens,
            KnownCost = Math.Round((decimal)KnownCost, 8),
            UnpricedSpans = UnpricedSpans,
            Redactions = Redactions,
        };
    }

    private const string RunSelect = "SELECT project_id, " + RunColumns + " FROM runs r";

    /// <summary>
    /// The condition for a status, matching <see cref="RunOutcome.Resolve"/>: an explicit outcome wins, no root means
    /// running, a root with status error means failure.
    /// </summary>
    private string StatusCondition(RunStatus status)
    {
        var rootSeen = IsPostgres ? "r.root_seen" : "r.root_seen = 1";
        var rootUnseen = IsPostgres ? "NOT r.root_seen" : "r.root_seen = 0";
        return status switch
        {
            RunStatus.Running => $"(r.outcome IS NULL AND {rootUnseen})",
            RunStatus.Success => $"(r.outcome = 'success' OR (r.outcome IS NULL AND {rootSeen} AND r.root_status <> 2))",
            RunStatus.Failure => $"(r.outcome = 'failure' OR (r.outcome IS NULL AND {rootSeen} AND r.root_status = 2))",
            _ => "(r.outcome = 'escalated')",
        };
    }

    public Task<List<RunSummary>> ListRunsAsync(string projectId, RunFilter filter, (long StartNs, string TraceId)? after, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            var where = new List<string> { "r.project_id = @projectId" };
            var p = new DynamicParameters();
            p.Add("projectId", projectId);
            void Equal(string column, string name, string? value)
            {
                if (value is not null)
                {
                    where.Add($"r.{column} = @{name}");
                    p.Add(name, value);
                }
            }

            Equal("agent", "agent", filter.Agent);
            Equal("release", "release", filter.Release);
            Equal("session_id", "session", filter.Session);
            Equal("user_id", "user", filter.User);
            if (filter.Status is { } status)
            {
                where.Add(StatusCondition(status));
            }

            if (filter.From is { } from)
            {
                where.Add("r.start_ns >= @fromNs");
                p.Add("fromNs", ToUnixNanos(from));
            }

            if (filter.To is { } to)
            {
                where.Add("r.start_ns < @toNs");
                p.Add("toNs", ToUnixNanos(to));
            }

            if (filter.MinCost is { } minCost)
            {
                where.Add("r.known_cost >= @minCost");
                p.Add("minCost", (double)minCost);
            }

            if (filter.HasError is { } hasError)
            {
                where.Add(hasError ? "r.errors > 0" : "r.errors = 0");
            }

            if (filter.Tool is not null)
            {
                where.Add("EXISTS (SELECT 1 FROM run_tools t WHERE t.project_id = r.project_id AND t.tool_name = @tool AND t.trace_id = r.trace_id)");
                p.Add("tool", filter.Tool);
            }

            if (after is { } cursor)
            {
                where.Add("(r.start_ns < @afterNs OR (r.start_ns = @afterNs AND r.trace_id < @afterId))");
                p.Add("afterNs", cursor.StartNs);
                p.Add("afterId", cursor.TraceId);
            }

            p.Add("limit", limit);
            var rows = await connection.QueryAsync<RunRow>(
                $"{RunSelect} WHERE {string.Join(" AND ", where)} ORDER BY r.start_ns DESC, r.trace_id DESC LIMIT @limit", p);
            return rows.Select(r => r.ToSummary()).ToList();
        }, cancellationToken);

    public Task<RunSummary?> GetRunAsync(string projectId, string traceId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.QuerySingleOrDefaultAsync<RunRow>($"{RunSelect} WHERE r.project_id = @projectId AND r.trace_id = @traceId", new { projectId, traceId }))?.ToSummary(),
            cancellationToken);

    private sealed class SpanRow
    {
        public string TraceId { get; set; } = "";
        public string SpanId { get; set; } = "";
        public string? ParentSpanId { get; set; }
        public string Name { get; set; } = "";
        public int Kind { get; set; }
        public long StartNs { get; set; }
        public long EndNs { get; set; }
        public int Status { get; set; }
        public string? StatusMessage { get; set; }
        public string? Operation { get; set; }
        public string? Provider { get; set; }
        public string? Model { get; set; }
        public string? Agent { get; set; }
        public string? AgentVersion { get; set; }
        public string? SessionId { get; set; }
        public string? UserId { get; set; }
        public string? ToolName { get; set; }
        public string? ServiceName { get; set; }
        public string? Outcome { get; set; }
        public long? InputTokens { get; set; }
        public long? OutputTokens { get; set; }
        public long? CachedInputTokens { get; set; }
        public long? ReasoningTokens { get; set; }
        public double? Cost { get; set; }
        public bool CostUnknown { get; set; }
        public int Redactions { get; set; }
        public int DroppedAttributes { get; set; }
        public int DroppedEvents { get; set; }
        public int TruncatedValues { get; set; }
        public string? Scope { get; set; }
        public string? Attributes { get; set; }
        public string? Events { get; set; }
        public string? Resource { get; set; }

        public Span ToSpan() => new()
        {
            TraceId = TraceId,
            SpanId = SpanId,
            ParentSpanId = ParentSpanId,
            Name = Name,
            Kind = (StepKind)Kind,
            StartUnixNano = StartNs,
            EndUnixNano = EndNs,
            Status = (SpanStatus)Status,
            StatusMessage = StatusMessage,
            Operation = Operation,
            Provider = Provider,
            Model = Model,
            AgentName = Agent,
            AgentVersion = AgentVersion,
            SessionId = SessionId,
            UserId = UserId,
            ToolName = ToolName,
            ServiceName = ServiceName,
            Outcome = Outcome,
            Tokens = new TokenUsage(InputTokens, OutputTokens, CachedInputTokens, ReasoningTokens),
            Cost = Cost is { } c ? Math.Round((decimal)c, 8) : null,
            CostUnknown = CostUnknown,
            Redactions = Redactions,
            DroppedAttributes = DroppedAttributes,
            DroppedEvents = DroppedEvents,
            TruncatedValues = TruncatedValues,
            ScopeName = Scope,
            Attributes = SpanJson.ReadAttributes(Attributes),
            Events = SpanJson.ReadEvents(Events),
            Resource = SpanJson.ReadAttributes(Resource),
        };
    }

    public Task<List<Span>> GetSpansAsync(string projectId, string traceId, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            var rows = await connection.QueryAsync<SpanRow>(
                $"SELECT {SpanColumns} FROM spans WHERE project_id = @projectId AND trace_id = @traceId ORDER BY start_ns, span_id LIMIT @limit",
                new { projectId, traceId, limit });
            return rows.Select(r => r.ToSpan()).ToList();
        }, cancellationToken);

    /// <summary>A trace's <paramref name="limit"/> most recent spans by start time, oldest first.</summary>
    public Task<List<Span>> GetRecentSpansAsync(string projectId, string traceId, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            var rows = (await connection.QueryAsync<SpanRow>(
                $"SELECT {SpanColumns} FROM spans WHERE project_id = @projectId AND trace_id = @traceId ORDER BY start_ns DESC, span_id DESC LIMIT @limit",
                new { projectId, traceId, limit })).Select(r => r.ToSpan()).ToList();
            rows.Reverse();
            return rows;
        }, cancellationToken);

    public Task<Span?> GetSpanAsync(string projectId, string traceId, string spanId, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
            (await connection.QuerySingleOrDefaultAsync<SpanRow>(
                $"SELECT {SpanColumns} FROM spans WHERE project_id = @projectId AND trace_id = @traceId AND span_id = @spanId",
                new { projectId, traceId, spanId }))?.ToSpan(),
            cancellationToken);

    public Task<List<RunSummary>> SessionRunsAsync(string projectId, string sessionId, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            var rows = await connection.QueryAsync<RunRow>(
                $"{RunSelect} WHERE r.project_id = @projectId AND r.session_id = @sessionId ORDER BY r.start_ns, r.trace_id LIMIT @limit",
                new { projectId, sessionId, limit });
            return rows.Select(r => r.ToSummary()).ToList();
        }, cancellationToken);

    /// <summary>Runs started in [from, to), in start order, for aggregation; at most <paramref name="limit"/>.</summary>
    public Task<List<RunSummary>> RunsBetweenAsync(string projectId, long fromNs, long toNs, string? agent, int limit, CancellationToken cancellationToken) =>
        database.ReadAsync(async connection =>
        {
            var rows = await connection.QueryAsync<RunRow>(
                $"{RunSelect} WHERE r.project_id = @projectId AND r.start_ns >= @fromNs AND r.start_ns < @toNs" +
                (agent is null ? "" : " AND r.agent = @agent") + " ORDER BY r.start_ns LIMIT @limit",
                new { projectId, fromNs, toNs, agent, limit });
            return rows.Select(r => r.ToSummary()).ToList();
        }, cancellationToken);
}
