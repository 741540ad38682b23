using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Approvals.Webhooks;

/// <summary>A queue's webhook as people see it: never its secret.</summary>
public sealed record ApprovalWebhook(string Queue, string Url, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A webhook after a set: <see cref="Created"/> is false when the queue had one that was replaced.</summary>
public sealed record ApprovalWebhookSet(ApprovalWebhook Webhook, bool Created);

/// <summary>One delivery in the log. <see cref="NextAttemptAt"/> is set while it is pending.</summary>
public sealed record ApprovalDelivery(
    string Id,
    string RequestId,
    string Queue,
    string Url,
    string Event,
    string Status,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    int? LastStatusCode,
    string? LastError,
    DateTimeOffset CreatedAt,
    DateTimeOffset? DeliveredAt);

/// <summary>Which deliveries a listing shows; null matches all.</summary>
public sealed record DeliveryFilter(string? RequestId = null, string? Status = null, string? Queue = null);

/// <summary>
/// Per-queue webhooks, set and removed by admins and audited, and their delivery log. The secret is protected with
/// ASP.NET Data Protection (keys in the database, shared by replicas) under a purpose naming the project and queue, so
/// a protected secret copied to another queue's row does not unprotect; it is never returned, logged or audited.
/// </summary>
public sealed class ApprovalWebhookService(
    ReinDatabase database,
    AuditLog audit,
    IDataProtectionProvider protection,
    TimeProvider time,
    ILogger<ApprovalWebhookService> logger)
{
    public const int MinSecretLength = 16;

    public const int MaxSecretLength = 256;

    /// <summary>The same bound as a policy's route names, which name queues.</summary>
    public const int MaxQueueLength = 128;

    public const int MaxPageSize = 500;

    /// <summary>Longest request id a listing filters by; real ids are 30 characters.</summary>
    public const int MaxRequestIdLength = 64;

    private static readonly System.Buffers.SearchValues<char> QueueChars =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._:/-");

    /// <summary>Sets or replaces the queue's webhook. Without a secret the current one is kept (a new webhook needs one).</summary>
    /// <exception cref="ReinProblemException">400 naming the field.</exception>
    public async Task<ApprovalWebhookSet> SetAsync(Caller caller, string? queue, string? url, string? secret, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var name = ValidateQueue(queue);
        if (WebhookUrls.Problem(url) is { } urlProblem)
        {
            throw ReinProblemException.Invalid("url", urlProblem);
        }

        if (secret is not null)
        {
            ValidateSecret(secret);
        }

        var set = await database.WriteAsync(async (c, t) =>
        {
            var existing = await WebhookStore.GetAsync(c, t, caller.ProjectId, name);
            if (existing is null && secret is null)
            {
                throw ReinProblemException.Invalid("secret", $"is required for a new webhook: {MinSecretLength} to {MaxSecretLength} characters the receiver also knows");
            }

            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var row = new WebhookRow
            {
                ProjectId = caller.ProjectId,
                Queue = name,
                Url = url!,
                SecretProtected = secret is null ? existing!.SecretProtected : Protector(caller.ProjectId, name).Protect(secret),
                CreatedAt = existing?.CreatedAt ?? now,
                UpdatedAt = now,
            };
            await WebhookStore.UpsertAsync(c, t, row);
            await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId,
                "approval.webhook.set",
                "approval_webhook",
                name,
                existing is null ? null : Digest(existing),
                Digest(row),
                JsonSerializer.Serialize(new { queue = name, origin = WebhookUrls.Origin(row.Url), secretChanged = secret is not null })));
            return new ApprovalWebhookSet(ToWebhook(row), existing is null);
        }, cancellationToken);
        Log.ApprovalWebhookSet(logger, name, WebhookUrls.Origin(set.Webhook.Url), caller.ProjectId, caller.KeyId);
        return set;
    }

    /// <exception cref="ReinProblemException">400 naming the queue; 404 when the queue has no webhook.</exception>
    public async Task<ApprovalWebhook> GetAsync(Caller caller, string? queue, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var name = ValidateQueue(queue);
        var row = await database.ReadAsync(c => WebhookStore.GetAsync(c, null, caller.ProjectId, name), cancellationToken);
        return row is null ? throw NoWebhook(caller, name) : ToWebhook(row);
    }

    /// <summary>Removes the queue's webhook and returns it as it was. Its deliveries still pending end <c>failed</c> at
    /// their next attempt: the admin took the receiver away.</summary>
    /// <exception cref="ReinProblemException">400 naming the queue; 404 when the queue has no webhook.</exception>
    public async Task<ApprovalWebhook> RemoveAsync(Caller caller, string? queue, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var name = ValidateQueue(queue);
        var removed = await database.WriteAsync(async (c, t) =>
        {
            var existing = await WebhookStore.GetAsync(c, t, caller.ProjectId, name);
            if (existing is null || !await WebhookStore.DeleteAsync(c, t, caller.ProjectId, name))
            {
                throw NoWebhook(caller, name);
            }

            await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId,
                "approval.webhook.remove",
                "approval_webhook",
                name,
                Digest(existing),
                null,
                JsonSerializer.Serialize(new { queue = name, origin = WebhookUrls.Origin(existing.Url) })));
            return ToWebhook(existing);
        }, cancellationToken);
        Log.ApprovalWebhookRemoved(logger, name, caller.ProjectId, caller.KeyId);
        return removed;
    }

    /// <summary>The project's deliveries, newest first, <paramref name="limit"/> at a time after the cursor.</summary>
    /// <exception cref="ReinProblemException">400 naming the filter or the cursor.</exception>
    public async Task<Page<ApprovalDelivery>> ListDeliveriesAsync(Caller caller, DeliveryFilter filter, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        Permissions.Demand(caller, Permission.Administer);
        if (filter.Status is { } status && !DeliveryStatus.All.Contains(status))
        {
            throw ReinProblemException.Invalid("status", $"'{Shorten(status)}' is not a delivery status; use pending, delivered or failed");
        }

        if (filter.RequestId is { } requestId && (requestId.Length is 0 or > MaxRequestIdLength || requestId.Any(char.IsControl)))
        {
            throw ReinProblemException.Invalid("requestId", $"must be a request id such as apr_…, at most {MaxRequestIdLength} characters");
        }

        var queue = filter.Queue is null ? null : ValidateQueue(filter.Queue);
        if (cursor is not null && !DeliveryIds.IsValid(cursor))
        {
            throw ReinProblemException.Invalid("cursor", "is not a cursor this server wrote; pass the next of the previous page");
        }

        var rows = await database.ReadAsync(
            c => WebhookStore.ListAsync(c, caller.ProjectId, filter.RequestId, filter.Status, queue, cursor, limit + 1), cancellationToken);
        var items = rows.Take(limit).Select(ToDelivery).ToList();
        return new Page<ApprovalDelivery>(items, rows.Count > limit ? items[^1].Id : null);
    }

    /// <summary>The protector of one queue's secret; the dispatcher unprotects with the same purpose.</summary>
    internal IDataProtector Protector(string projectId, string queue) =>
        protection.CreateProtector("Rein.Approvals.Webhooks.Secret", projectId, queue);

    /// <summary>The secret in plain text, or null when it cannot be read (the data-protection keys it was protected
    /// with are gone).</summary>
    internal string? Unprotect(WebhookRow row)
    {
        try
        {
            return Protector(row.ProjectId, row.Queue).Unprotect(row.SecretProtected);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>A queue name as policies' routes spell it: 1 to 128 letters, digits, spaces and <c>. _ : / -</c>.</summary>
    public static string ValidateQueue(string? queue)
    {
        if (string.IsNullOrEmpty(queue))
        {
            throw ReinProblemException.Invalid("queue", "is required: the queue's name, as a rule's route names it");
        }

        if (queue.Length > MaxQueueLength || queue.AsSpan().ContainsAnyExcept(QueueChars) || queue[0] == ' ' || queue[^1] == ' ')
        {
            throw ReinProblemException.Invalid("queue", $"'{Shorten(queue)}' must be 1 to {MaxQueueLength} characters of letters, digits, spaces and . _ : / -, without spaces at either end");
        }

        return queue;
    }

    private static void ValidateSecret(string secret)
    {
        // Never repeat the secret in an answer: problems are logged.
        if (secret.Length is < MinSecretLength or > MaxSecretLength)
        {
            throw ReinProblemException.Invalid("secret", $"is {secret.Length} characters long; it must be {MinSecretLength} to {MaxSecretLength} characters");
        }

        if (secret.Any(char.IsControl))
        {
            throw ReinProblemException.Invalid("secret", "must not contain control characters (a new line at the end of a file?)");
        }

        if (secret.Trim().Length != secret.Length)
        {
            throw ReinProblemException.Invalid("secret", "must not start or end with a space");
        }
    }

    private static ReinProblemException NoWebhook(Caller caller, string queue) =>
        ReinProblemException.NotFound($"queue '{queue}' of project {caller.ProjectId} has no webhook");

    private static string Digest(WebhookRow row) =>
        AuditChain.DigestOf(("queue", row.Queue), ("url", row.Url), ("secret_protected", row.SecretProtected));

    private static ApprovalWebhook ToWebhook(WebhookRow row) => new(
        row.Queue, row.Url, DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt), DateTimeOffset.FromUnixTimeMilliseconds(row.UpdatedAt));

    internal static ApprovalDelivery ToDelivery(DeliveryRow row) => new(
        row.Id,
        row.RequestId,
        row.Queue,
        row.Url,
        row.Event,
        row.Status,
        row.Attempts,
        row.Status == DeliveryStatus.Pending ? DateTimeOffset.FromUnixTimeMilliseconds(row.NextAttemptAt) : null,
        row.LastStatusCode,
        row.LastError,
        DateTimeOffset.FromUnixTimeMilliseconds(row.CreatedAt),
        row.DeliveredAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null);

    private static string Shorten(string value) => value.Length > 80 ? value[..80] + "…" : value;
}
