using System.Runtime.CompilerServices;
using System.Text.Json;
using Rein.Core.Audit;
using Rein.Core.Identity;
using Rein.Core.Policies;
using Rein.Server.Identity;
using Rein.Server.Traces;

namespace Rein.Server.Approvals;

/// <summary>The approvals' queues (expiry, what waits, who may decide), their stats, and the feedback export of every
/// human decision.</summary>
public sealed partial class ApprovalService
{
    /// <summary>Every human decision since a time, oldest first, as labelled data; streamed a page at a time.</summary>
    /// <exception cref="ReinProblemException">400 for a window over <see cref="MaxWindow"/>.</exception>
    public IAsyncEnumerable<FeedbackRecord> ExportAsync(Caller caller, TimeSpan since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        return ExportCoreAsync(caller.ProjectId, Since(since), cancellationToken);
    }

    /// <summary>Requests opened in the window by queue and in total, by where they stand, and time to decision.</summary>
    /// <exception cref="ReinProblemException">400 for a window over <see cref="MaxWindow"/> or holding more than <see cref="MaxStatsRequests"/>.</exception>
    public async Task<ApprovalStats> StatsAsync(Caller caller, TimeSpan since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        var from = Since(since);
        var rows = await _database.ReadAsync(c => ApprovalStore.OpenedSinceAsync(c, caller.ProjectId, from.ToUnixTimeMilliseconds(), MaxStatsRequests + 1), cancellationToken);
        if (rows.Count > MaxStatsRequests)
        {
            throw ReinProblemException.Invalid("since", $"the window holds more than {MaxStatsRequests} requests; narrow it");
        }

        var byQueue = rows.GroupBy(r => r.Queue, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Stats(g.Key, [.. g])).ToList();
        return new ApprovalStats(from, byQueue, Stats(null, rows));
    }

    /// <summary>Sets a queue's expiry (null: its requests take the policy's or the server's default).</summary>
    /// <exception cref="ReinProblemException">400 naming the field; 409 beyond <see cref="MaxQueuesPerProject"/>.</exception>
    public async Task<ApprovalQueue> SetQueueAsync(Caller caller, string name, string? expiry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Administer);
        var validName = ApprovalQueueNames.Validate("name", name);
        TimeSpan? span = null;
        if (!string.IsNullOrWhiteSpace(expiry))
        {
            if (!Durations.TryParse(expiry, out var parsed) || parsed < Policy.MinApprovalExpiry || parsed > Policy.MaxApprovalExpiry)
            {
                throw ReinProblemException.Invalid("expiry", $"'{ApprovalQueueNames.Shorten(expiry)}' must be a duration between 1m and 7d, such as 30m or 4h");
            }

            span = parsed;
        }

        var expiryMs = span is { } s ? (long)s.TotalMilliseconds : (long?)null;
        var row = await _database.WriteAsync(async (c, t) =>
        {
            var before = await ApprovalStore.GetQueueAsync(c, t, caller.ProjectId, validName);
            if (before is null && await ApprovalStore.CountQueuesAsync(c, t, caller.ProjectId) >= MaxQueuesPerProject)
            {
                throw ReinProblemException.Conflict($"project {caller.ProjectId} already has {MaxQueuesPerProject} queues, the limit");
            }

            var after = await ApprovalStore.UpsertQueueAsync(c, t, caller.ProjectId, validName, expiryMs, _time.GetUtcNow().ToUnixTimeMilliseconds());
            await _audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId, "approval.queue.set", "approval_queue", validName,
                before is null ? null : AuditChain.DigestOf(("expiryMs", Invariant(before.ExpiryMs))),
                AuditChain.DigestOf(("expiryMs", Invariant(after.ExpiryMs))),
                JsonSerializer.Serialize(new { name = validName, expiry = span is { } e ? ApprovalsOptions.Format(e) : null })));
            return after;
        }, cancellationToken);
        Log.ApprovalQueueSet(_logger, validName, caller.ProjectId, span is { } v ? ApprovalsOptions.Format(v) : "(default)", caller.KeyId);
        return Queue(row);
    }

    public async Task<IReadOnlyList<ApprovalQueue>> ListQueuesAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        var rows = await _database.ReadAsync(c => ApprovalStore.ListQueuesAsync(c, caller.ProjectId, MaxQueuesPerProject), cancellationToken);
        return [.. rows.Select(Queue)];
    }

    /// <summary>Queues with pending requests, by name, with their count and oldest request.</summary>
    public async Task<IReadOnlyList<PendingQueue>> PendingByQueueAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Read);
        var rows = await _database.ReadAsync(c => ApprovalStore.PendingByQueueAsync(c, caller.ProjectId, MaxQueuesPerProject), cancellationToken);
        return [.. rows.Select(r => new PendingQueue(r.Queue, (int)r.Pending, At(r.OldestAt)))];
    }

    /// <summary>Whether the caller may decide requests of a queue: the approve permission, and the queue among the
    /// key's queues when the key is limited to some.</summary>
    /// <summary>Pending requests the caller may decide: in every queue for an admin or an approver not limited to some,
    /// in its queues for one that is, none without the approve permission. The dashboard's navigation shows it.</summary>
    public async Task<int> PendingToDecideAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Role.Grants(Permission.Approve))
        {
            return 0;
        }

        var allowed = await _keys.QueuesOfAsync(caller, cancellationToken);
        var waiting = await PendingByQueueAsync(caller, cancellationToken);
        return waiting.Where(q => allowed is null || allowed.Contains(q.Queue, StringComparer.Ordinal)).Sum(q => q.Pending);
    }

    /// <summary>The queues a key may decide, as a sentence reads them: "every queue", "the queue finance", "the queues
    /// finance and ops".</summary>
    public static string DescribeQueues(IReadOnlyList<string>? queues) => queues switch
    {
        null => "every queue",
        [] => "no queue",
        [var one] => $"the queue {one}",
        _ => $"the queues {string.Join(", ", queues.Take(queues.Count - 1))} and {queues[^1]}",
    };

    public async Task<bool> MayDecideAsync(Caller caller, string queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Role.Grants(Permission.Approve))
        {
            return false;
        }

        var allowed = await _keys.QueuesOfAsync(caller, cancellationToken);
        return allowed is null || allowed.Contains(queue, StringComparer.Ordinal);
    }

    /// <summary>Marks open requests past their expiry as expired (audited, notified, traced); returns how many.</summary>

    private async IAsyncEnumerable<FeedbackRecord> ExportCoreAsync(string projectId, DateTimeOffset since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        (long, string)? after = null;
        while (true)
        {
            var page = await _database.ReadAsync(c => ApprovalStore.DecidedSinceAsync(c, projectId, since.ToUnixTimeMilliseconds(), after, ExportPageSize), cancellationToken);
            foreach (var row in page)
            {
                var proposed = EvidenceArgs(row.Evidence);
                var approved = Parse(row.ApprovedArgs);
                using var evidence = JsonDocument.Parse(row.Evidence);
                JsonElement? context = evidence.RootElement.TryGetProperty("context", out var ctx) ? ctx.Clone() : null;
                yield return new FeedbackRecord(
                    row.Id, At(row.DecidedAt!.Value), row.DecidedByName ?? row.DecidedBy, row.Outcome!, row.Queue, row.Severity, row.Agent, row.Release, row.RunId,
                    row.Tool, proposed, approved,
                    row.Outcome == ApprovalOutcomes.Modified ? ArgumentChanges.Between(proposed, approved) : [],
                    row.Rule, row.Message, PolicyOf(row), context, row.Note);
            }

            if (page.Count < ExportPageSize)
            {
                yield break;
            }

            after = (page[^1].DecidedAt!.Value, page[^1].Id);
        }
    }

    private static ApprovalQueueStats Stats(string? queue, List<(string Queue, string Status, string? Outcome, long CreatedAt, long? DecidedAt)> rows)
    {
        var times = rows.Where(r => r.Outcome is ApprovalOutcomes.Approved or ApprovalOutcomes.Modified or ApprovalOutcomes.Rejected && r.DecidedAt is not null)
            .Select(r => (double)(r.DecidedAt!.Value - r.CreatedAt)).Order().ToArray();
        return new ApprovalQueueStats(
            queue,
            rows.Count,
            rows.Count(r => r.Status == ApprovalStatuses.Pending),
            rows.Count(r => r.Outcome == ApprovalOutcomes.Approved),
            rows.Count(r => r.Outcome == ApprovalOutcomes.Modified),
            rows.Count(r => r.Outcome == ApprovalOutcomes.Rejected),
            rows.Count(r => r.Outcome == ApprovalOutcomes.Expired),
            times.Length == 0 ? new DecisionTimes(null, null) : new DecisionTimes(TraceQueries.Percentile(times, 0.50), TraceQueries.Percentile(times, 0.95)));
    }

    private DateTimeOffset Since(TimeSpan since)
    {
        if (since <= TimeSpan.Zero || since > MaxWindow)
        {
            throw ReinProblemException.Invalid("since", "must be a duration between 1ms and 366d, such as 24h or 30d");
        }

        return _time.GetUtcNow() - since;
    }
}
