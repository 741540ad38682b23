using System.Data.Common;
using Dapper;
using Npgsql;
using Rein.Server.Storage;

namespace Rein.Server.Approvals.Webhooks;

/// <summary>A queue's webhook as stored: the secret only as Data Protection ciphertext.</summary>
internal sealed class WebhookRow
{
    public string ProjectId { get; set; } = "";

    public string Queue { get; set; } = "";

    public string Url { get; set; } = "";

    public string SecretProtected { get; set; } = "";

    public long CreatedAt { get; set; }

    public long UpdatedAt { get; set; }
}

/// <summary>One delivery of the outbox and its log.</summary>
internal sealed class DeliveryRow
{
    public string ProjectId { get; set; } = "";

    public string Id { get; set; } = "";

    public string RequestId { get; set; } = "";

    public string Queue { get; set; } = "";

    public string Url { get; set; } = "";

    public string Event { get; set; } = "";

    public string Status { get; set; } = "";

    public int Attempts { get; set; }

    public long NextAttemptAt { get; set; }

    public int? LastStatusCode { get; set; }

    public string? LastError { get; set; }

    public long CreatedAt { get; set; }

    public long? DeliveredAt { get; set; }

    public string Body { get; set; } = "";
}

/// <summary>Statuses of a delivery.</summary>
public static class DeliveryStatus
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";

    public static IReadOnlyList<string> All { get; } = [Pending, Delivered, Failed];
}

/// <summary>The tables <c>approval_webhooks</c> and <c>approval_deliveries</c>. Every statement runs in the caller's
/// connection (and transaction, when given).</summary>
internal static class WebhookStore
{
    public static Task<WebhookRow?> GetAsync(DbConnection c, DbTransaction? t, string projectId, string queue) =>
        c.QuerySingleOrDefaultAsync<WebhookRow>(
            "SELECT * FROM approval_webhooks WHERE project_id = @projectId AND queue = @queue", new { projectId, queue }, t);

    /// <summary>Only the address, for the outbox: the secret is not read on the path that creates a request.</summary>
    public static Task<string?> GetUrlAsync(DbConnection c, DbTransaction t, string projectId, string queue) =>
        c.QuerySingleOrDefaultAsync<string?>(
            "SELECT url FROM approval_webhooks WHERE project_id = @projectId AND queue = @queue", new { projectId, queue }, t);

    public static Task UpsertAsync(DbConnection c, DbTransaction t, WebhookRow row) =>
        c.ExecuteAsync(
            """
            INSERT INTO approval_webhooks (project_id, queue, url, secret_protected, created_at, updated_at)
            VALUES (@ProjectId, @Queue, @Url, @SecretProtected, @CreatedAt, @UpdatedAt)
            ON CONFLICT (project_id, queue) DO UPDATE SET url = excluded.url, secret_protected = excluded.secret_protected, updated_at = excluded.updated_at
            """,
            row,
            t);

    public static async Task<bool> DeleteAsync(DbConnection c, DbTransaction t, string projectId, string queue) =>
        await c.ExecuteAsync("DELETE FROM approval_webhooks WHERE project_id = @projectId AND queue = @queue", new { projectId, queue }, t) == 1;

    public static Task InsertDeliveryAsync(DbConnection c, DbTransaction t, DeliveryRow row) =>
        c.ExecuteAsync(
            """
            INSERT INTO approval_deliveries (project_id, id, request_id, queue, url, event, status, attempts, next_attempt_at, created_at, body)
            VALUES (@ProjectId, @Id, @RequestId, @Queue, @Url, @Event, @Status, @Attempts, @NextAttemptAt, @CreatedAt, @Body)
            """,
            row,
            t);

    /// <summary>
    /// Takes up to <paramref name="limit"/> due deliveries of every project: counts the attempt and moves
    /// <c>next_attempt_at</c> to <paramref name="leaseUntil"/>, so no other server takes them meanwhile. On PostgreSQL
    /// <c>FOR UPDATE SKIP LOCKED</c> lets replicas claim at the same moment without waiting on each other's rows;
    /// SQLite has one writer, which serialises claims.
    /// </summary>
    /// <summary>
    /// Claims up to <paramref name="limit"/> deliveries that are due, oldest first, but at most
    /// <paramref name="perProject"/> of one project and <paramref name="perQueue"/> of one queue: a project with
    /// thousands waiting (or a receiver that times out) cannot keep another project's delivery out of the batch.
    /// </summary>
    public static async Task<List<DeliveryRow>> ClaimAsync(DbConnection c, DbTransaction t, long now, long leaseUntil, int limit, int perProject = int.MaxValue, int perQueue = int.MaxValue)
    {
        var skipLocked = c is NpgsqlConnection ? "FOR UPDATE SKIP LOCKED" : "";
        return [.. await c.QueryAsync<DeliveryRow>(
            $"""
            WITH by_queue AS (
                SELECT project_id, id, next_attempt_at,
                    ROW_NUMBER() OVER (PARTITION BY project_id, queue ORDER BY next_attempt_at, id) AS in_queue
                FROM approval_deliveries
                WHERE status = 'pending' AND next_attempt_at <= @now),
            by_project AS (
                SELECT project_id, id, ROW_NUMBER() OVER (PARTITION BY project_id ORDER BY next_attempt_at, id) AS in_project
                FROM by_queue WHERE in_queue <= @perQueue),
            due AS MATERIALIZED (
                SELECT d.project_id, d.id FROM approval_deliveries d
                WHERE d.status = 'pending' AND d.next_attempt_at <= @now
                    AND (d.project_id, d.id) IN (SELECT project_id, id FROM by_project WHERE in_project <= @perProject)
                ORDER BY d.next_attempt_at LIMIT @limit {skipLocked})
            UPDATE approval_deliveries SET attempts = attempts + 1, next_attempt_at = @leaseUntil
            WHERE (project_id, id) IN (SELECT project_id, id FROM due)
            RETURNING *
            """,
            new { now, leaseUntil, limit, perProject, perQueue },
            t)];
    }

    /// <summary>
    /// Records an attempt's outcome (<paramref name="row"/>'s status, attempts, times and error), unless the delivery
    /// moved on since it was claimed with <paramref name="claimedAttempts"/> (its lease ran out and another server took
    /// it: that server's attempt counts, not this one's). Returns whether the row was updated.
    /// </summary>
    public static async Task<bool> FinishAsync(DbConnection c, DbTransaction t, DeliveryRow row, int claimedAttempts) =>
        await c.ExecuteAsync(
            """
            UPDATE approval_deliveries
            SET status = @Status, attempts = @Attempts, next_attempt_at = @NextAttemptAt, last_status_code = @LastStatusCode,
                last_error = @LastError, delivered_at = @DeliveredAt, url = @Url
            WHERE project_id = @ProjectId AND id = @Id AND status = 'pending' AND attempts = @claimedAttempts
            """,
            new
            {
                row.Status,
                row.Attempts,
                row.NextAttemptAt,
                row.LastStatusCode,
                row.LastError,
                row.DeliveredAt,
                row.Url,
                row.ProjectId,
                row.Id,
                claimedAttempts,
            },
            t) == 1;

    public static async Task<List<DeliveryRow>> ListAsync(DbConnection c, string projectId, string? requestId, string? status, string? queue, string? before, int limit) =>
        [.. await c.QueryAsync<DeliveryRow>(
            """
            SELECT * FROM approval_deliveries
            WHERE project_id = @projectId
              AND (@before IS NULL OR id < @before)
              AND (@requestId IS NULL OR request_id = @requestId)
              AND (@status IS NULL OR status = @status)
              AND (@queue IS NULL OR queue = @queue)
            ORDER BY id DESC LIMIT @limit
            """,
            new { projectId, requestId, status, queue, before, limit })];

    /// <summary>Deletes finished deliveries created before <paramref name="cutoff"/>; pending ones stay.</summary>
    public static Task<int> DeleteFinishedBeforeAsync(DbConnection c, long cutoff) =>
        c.ExecuteAsync("DELETE FROM approval_deliveries WHERE status <> 'pending' AND created_at < @cutoff", new { cutoff });
}

/// <summary>Delivery ids: <c>dlv_</c>, ten characters of creation time (so ids sort by time and serve as the
/// listing's cursor) and sixteen random ones, in Crockford's base-32 lower case.</summary>
public static class DeliveryIds
{
    private const string Prefix = "dlv_";

    public const int Length = SortableIds.Length;

    public static string New(DateTimeOffset at) => SortableIds.New(Prefix, at);

    public static bool IsValid(string? id) => SortableIds.IsValid(Prefix, id);
}
