using System.Data.Common;
using Dapper;
using Npgsql;

namespace Rein.Server.Approvals;

/// <summary>An approval request as stored; times are Unix milliseconds.</summary>
internal sealed class ApprovalRow
{
    public string ProjectId { get; set; } = "";
    public string Id { get; set; } = "";
    public string Queue { get; set; } = "";
    public string Status { get; set; } = "";
    public string Severity { get; set; } = "";
    public long CreatedAt { get; set; }
    public long ExpiresAt { get; set; }
    public long? DecidedAt { get; set; }
    public string? DecidedBy { get; set; }
    public string? DecidedByName { get; set; }
    public string? Note { get; set; }
    public string? Outcome { get; set; }
    public string DecisionId { get; set; } = "";
    public string Agent { get; set; } = "";
    public string? Release { get; set; }
    public string? RunId { get; set; }
    public string? SessionId { get; set; }
    public string? PrincipalId { get; set; }
    public string Tool { get; set; } = "";
    public string? Server { get; set; }
    public string? PolicyName { get; set; }
    public int? PolicyVersion { get; set; }
    public string? PolicyHash { get; set; }
    public string? Rule { get; set; }
    public string? Message { get; set; }
    public string ArgsHash { get; set; } = "";
    public string Evidence { get; set; } = "{}";
    public string? TraceId { get; set; }
    public string? ParentSpanId { get; set; }
    public string? ApprovedArgs { get; set; }
    public string? ApprovedArgsHash { get; set; }
    public string? TokenHash { get; set; }
    public string? TokenProtected { get; set; }
    public long? TokenExpiresAt { get; set; }
    public long? TokenUsedAt { get; set; }
    public string? TokenDecisionId { get; set; }

    /// <summary><see cref="CreatedAt"/> in Unix nanoseconds, to the clock's precision; null for rows older than it.</summary>
    public long? CreatedNs { get; set; }

    /// <summary>The id of the key whose gate call opened the request: only it is given the token; null for requests
    /// opened before keys were recorded.</summary>
    public string? RequestedBy { get; set; }

    public ApprovalRow Copy() => (ApprovalRow)MemberwiseClone();
}

/// <summary>A decision taken on a request: the columns a decision or an expiry sets.</summary>
internal sealed record ApprovalDecisionWrite(
    string Status,
    string Outcome,
    long DecidedAt,
    string? DecidedBy,
    string? DecidedByName,
    string? Note,
    string? ApprovedArgs,
    string? ApprovedArgsHash,
    string? TokenHash,
    string? TokenProtected,
    long? TokenExpiresAt);

/// <summary>A queue as stored.</summary>
internal sealed class QueueRow
{
    public string Name { get; set; } = "";
    public long? ExpiryMs { get; set; }
    public long CreatedAt { get; set; }
    public long UpdatedAt { get; set; }
}

/// <summary>
/// The approvals tables. Writes take the caller's transaction: a request opens in the gate writer's transaction with
/// the decision that asked for it, and a decision commits with its audit entry and its notification.
/// </summary>
internal static class ApprovalStore
{
    private const string Columns =
        "project_id, id, queue, status, severity, created_at, expires_at, decided_at, decided_by, decided_by_name, note, outcome, " +
        "decision_id, agent, release, run_id, session_id, principal_id, tool, server, policy_name, policy_version, policy_hash, rule, message, " +
        "args_hash, evidence, trace_id, parent_span_id, approved_args, approved_args_hash, token_hash, token_protected, token_expires_at, " +
        "token_used_at, token_decision_id, created_ns, requested_by";

    /// <summary>The severities in inbox order (highest first) as SQL: most urgent first, then oldest.</summary>
    private const string SeverityRank = "CASE severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END";

    public static Task InsertAsync(DbConnection c, DbTransaction t, ApprovalRow row) =>
        c.ExecuteAsync(
            $"""
            INSERT INTO approval_requests ({Columns})
            VALUES (@ProjectId, @Id, @Queue, @Status, @Severity, @CreatedAt, @ExpiresAt, NULL, NULL, NULL, NULL, NULL,
                    @DecisionId, @Agent, @Release, @RunId, @SessionId, @PrincipalId, @Tool, @Server, @PolicyName, @PolicyVersion, @PolicyHash,
                    @Rule, @Message, @ArgsHash, @Evidence, @TraceId, @ParentSpanId, NULL, NULL, NULL, NULL, NULL, NULL, NULL, @CreatedNs, @RequestedBy)
            """,
            row,
            t);

    public static Task<ApprovalRow?> GetAsync(DbConnection c, DbTransaction? t, string projectId, string id, bool forUpdate = false) =>
        c.QuerySingleOrDefaultAsync<ApprovalRow>(
            $"SELECT {Columns} FROM approval_requests WHERE project_id = @projectId AND id = @id{(forUpdate && c is NpgsqlConnection ? " FOR UPDATE" : "")}",
            new { projectId, id },
            t);

    /// <summary>A pending request the same run already opened for the same call, so a retried call does not queue twice.</summary>
    public static Task<ApprovalRow?> FindPendingAsync(DbConnection c, DbTransaction t, string projectId, string runId, string agent, string requestedBy, string tool, string argsHash, long now) =>
        c.QueryFirstOrDefaultAsync<ApprovalRow>(
            $"""
            SELECT {Columns} FROM approval_requests
            WHERE project_id = @projectId AND run_id = @runId AND status = 'pending' AND agent = @agent AND requested_by = @requestedBy
              AND tool = @tool AND args_hash = @argsHash AND expires_at > @now
            ORDER BY created_at LIMIT 1
            """,
            new { projectId, runId, agent, requestedBy, tool, argsHash, now },
            t);

    public static Task<ApprovalRow?> FindByTokenAsync(DbConnection c, DbTransaction t, string projectId, string tokenHash) =>
        c.QuerySingleOrDefaultAsync<ApprovalRow>(
            $"SELECT {Columns} FROM approval_requests WHERE project_id = @projectId AND token_hash = @tokenHash",
            new { projectId, tokenHash },
            t);

    /// <summary>Marks a token used by a decision; false when another decision used it first.</summary>
    public static async Task<bool> UseTokenAsync(DbConnection c, DbTransaction t, string projectId, string id, long now, string decisionId) =>
        await c.ExecuteAsync(
            """
            UPDATE approval_requests SET token_used_at = @now, token_decision_id = @decisionId
            WHERE project_id = @projectId AND id = @id AND token_used_at IS NULL
            """,
            new { projectId, id, now, decisionId },
            t) == 1;

    /// <summary>The decisions that used a token since <paramref name="sinceMs"/>, oldest first, at most <paramref name="limit"/>.</summary>
    public static async Task<List<string>> TokenDecisionsSinceAsync(DbConnection c, string projectId, long sinceMs, int limit) =>
        (await c.QueryAsync<string>(
            """
            SELECT token_decision_id FROM approval_requests
            WHERE project_id = @projectId AND token_used_at >= @sinceMs AND token_decision_id IS NOT NULL
            ORDER BY token_used_at LIMIT @limit
            """,
            new { projectId, sinceMs, limit })).AsList();

    /// <summary>Decides a pending request; false when it is no longer pending (decided by someone else meanwhile).</summary>
    public static async Task<bool> DecideAsync(DbConnection c, DbTransaction t, string projectId, string id, ApprovalDecisionWrite d) =>
        await c.ExecuteAsync(
            """
            UPDATE approval_requests
            SET status = @Status, outcome = @Outcome, decided_at = @DecidedAt, decided_by = @DecidedBy, decided_by_name = @DecidedByName,
                note = @Note, approved_args = @ApprovedArgs, approved_args_hash = @ApprovedArgsHash, token_hash = @TokenHash,
                token_protected = @TokenProtected, token_expires_at = @TokenExpiresAt
            WHERE project_id = @projectId AND id = @id AND status = 'pending'
            """,
            new
            {
                projectId,
                id,
                d.Status,
                d.Outcome,
                d.DecidedAt,
                d.DecidedBy,
                d.DecidedByName,
                d.Note,
                d.ApprovedArgs,
                d.ApprovedArgsHash,
                d.TokenHash,
                d.TokenProtected,
                d.TokenExpiresAt,
            },
            t) == 1;

    /// <summary>Whether any request is past its expiry, read before the sweep takes a write transaction.</summary>
    public static async Task<bool> AnyDueAsync(DbConnection c, long now) =>
        await c.ExecuteScalarAsync<int?>("SELECT 1 FROM approval_requests WHERE status = 'pending' AND expires_at <= @now LIMIT 1", new { now }) is not null;

    /// <summary>Marks up to <paramref name="limit"/> pending requests past their expiry as expired and returns them.</summary>
    public static async Task<List<ApprovalRow>> ExpireDueAsync(DbConnection c, DbTransaction t, long now, int limit) =>
        (await c.QueryAsync<ApprovalRow>(
            $"""
            UPDATE approval_requests SET status = 'expired', outcome = 'expired', decided_at = @now
            WHERE status = 'pending' AND (project_id, id) IN (
                SELECT project_id, id FROM approval_requests WHERE status = 'pending' AND expires_at <= @now ORDER BY expires_at LIMIT @limit)
            RETURNING {Columns}
            """,
            new { now, limit },
            t)).AsList();

    /// <summary>Inbox order: severity (highest first), then oldest first, then id; after the cursor's position when given.</summary>
    public static async Task<List<ApprovalRow>> ListAsync(DbConnection c, string projectId, ApprovalFilter filter, (int Rank, long CreatedAt, string Id)? after, int limit) =>
        (await c.QueryAsync<ApprovalRow>(
            $"""
            SELECT {Columns} FROM approval_requests
            WHERE project_id = @projectId
              AND (@status IS NULL OR status = @status)
              AND (@queue IS NULL OR queue = @queue)
              AND (@afterRank IS NULL OR {SeverityRank} < @afterRank
                   OR ({SeverityRank} = @afterRank AND (created_at > @afterCreated OR (created_at = @afterCreated AND id > @afterId))))
            ORDER BY {SeverityRank} DESC, created_at, id
            LIMIT @limit
            """,
            new
            {
                projectId,
                status = filter.Status,
                queue = filter.Queue,
                afterRank = after?.Rank,
                afterCreated = after?.CreatedAt,
                afterId = after?.Id,
                limit,
            })).AsList();

    /// <summary>Human decisions at or after <paramref name="since"/>, oldest first, after the position given.</summary>
    public static async Task<List<ApprovalRow>> DecidedSinceAsync(DbConnection c, string projectId, long since, (long DecidedAt, string Id)? after, int limit) =>
        (await c.QueryAsync<ApprovalRow>(
            $"""
            SELECT {Columns} FROM approval_requests
            WHERE project_id = @projectId AND decided_at >= @since AND outcome IN ('approved', 'modified', 'rejected')
              AND (@afterAt IS NULL OR decided_at > @afterAt OR (decided_at = @afterAt AND id > @afterId))
            ORDER BY decided_at, id
            LIMIT @limit
            """,
            new { projectId, since, afterAt = after?.DecidedAt, afterId = after?.Id, limit })).AsList();

    /// <summary>What stats need of requests opened since a time: at most <paramref name="limit"/> of them.</summary>
    public static async Task<List<(string Queue, string Status, string? Outcome, long CreatedAt, long? DecidedAt)>> OpenedSinceAsync(
        DbConnection c, string projectId, long since, int limit) =>
        (await c.QueryAsync<(string, string, string?, long, long?)>(
            """
            SELECT queue, status, outcome, created_at, decided_at FROM approval_requests
            WHERE project_id = @projectId AND created_at >= @since
            LIMIT @limit
            """,
            new { projectId, since, limit })).AsList();

    /// <summary>Pending requests per queue with the oldest one's time, for the inbox's queue list; at most <paramref name="limit"/> queues.</summary>
    public static async Task<List<(string Queue, long Pending, long OldestAt)>> PendingByQueueAsync(DbConnection c, string projectId, int limit) =>
        (await c.QueryAsync<(string, long, long)>(
            """
            SELECT queue, count(*), min(created_at) FROM approval_requests
            WHERE project_id = @projectId AND status = 'pending'
            GROUP BY queue ORDER BY queue
            LIMIT @limit
            """,
            new { projectId, limit })).AsList();

    public static Task<long?> QueueExpiryAsync(DbConnection c, DbTransaction? t, string projectId, string queue) =>
        c.ExecuteScalarAsync<long?>(
            "SELECT expiry_ms FROM approval_queues WHERE project_id = @projectId AND name = @queue", new { projectId, queue }, t);

    public static Task<QueueRow?> GetQueueAsync(DbConnection c, DbTransaction? t, string projectId, string name) =>
        c.QuerySingleOrDefaultAsync<QueueRow>(
            "SELECT name, expiry_ms, created_at, updated_at FROM approval_queues WHERE project_id = @projectId AND name = @name", new { projectId, name }, t);

    public static Task<long> CountQueuesAsync(DbConnection c, DbTransaction t, string projectId) =>
        c.ExecuteScalarAsync<long>("SELECT count(*) FROM approval_queues WHERE project_id = @projectId", new { projectId }, t);

    public static Task<QueueRow> UpsertQueueAsync(DbConnection c, DbTransaction t, string projectId, string name, long? expiryMs, long now) =>
        c.QuerySingleAsync<QueueRow>(
            """
            INSERT INTO approval_queues (project_id, name, expiry_ms, created_at, updated_at) VALUES (@projectId, @name, @expiryMs, @now, @now)
            ON CONFLICT (project_id, name) DO UPDATE SET expiry_ms = excluded.expiry_ms, updated_at = excluded.updated_at
            RETURNING name, expiry_ms, created_at, updated_at
            """,
            new { projectId, name, expiryMs, now },
            t);

    public static async Task<List<QueueRow>> ListQueuesAsync(DbConnection c, string projectId, int limit) =>
        (await c.QueryAsync<QueueRow>(
            "SELECT name, expiry_ms, created_at, updated_at FROM approval_queues WHERE project_id = @projectId ORDER BY name LIMIT @limit",
            new { projectId, limit })).AsList();

    /// <summary>Wakes the waiters of every replica (PostgreSQL delivers it when the transaction commits).</summary>
    public static Task NotifyAsync(DbConnection c, DbTransaction t, string projectId, string id) =>
        c is NpgsqlConnection
            ? c.ExecuteAsync("SELECT pg_notify(@channel, @payload)", new { channel = ApprovalWaiters.Channel, payload = projectId + "/" + id }, t)
            : Task.CompletedTask;
}
