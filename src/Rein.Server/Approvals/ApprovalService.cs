using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Identity;
using Rein.Core.Policies;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Policies;
using Rein.Server.Storage;
using Rein.Server.Traces;

namespace Rein.Server.Approvals;

/// <summary>
/// People deciding what agents asked for: the inbox, a request with its evidence (long-polled by the waiting agent),
/// approve (as asked or with modified arguments) and reject, queues and their expiry, the feedback export and stats.
/// Every decision commits with its audit entry and its notification to other replicas, then wakes this server's
/// waiters and goes into the run's trace as a span.
/// </summary>
public sealed partial class ApprovalService
{
    public const int MaxPageSize = 500;

    /// <summary>Steps of the run's trace shown with a request.</summary>
    public const int EvidenceSteps = 20;

    /// <summary>Queues one project may configure.</summary>
    public const int MaxQueuesPerProject = 1000;

    /// <summary>Longest window of an export or of stats.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(366);

    /// <summary>Requests one stats answer reads at most; a wider window is refused with a message to narrow it.</summary>
    public const int MaxStatsRequests = 200_000;

    /// <summary>Records an export reads per query; the export streams, so its memory is one page whatever its length.</summary>
    internal const int ExportPageSize = 500;

    /// <summary>Who the audit log names for what the server does on its own (expiry).</summary>
    internal const string SystemActor = "system";

    /// <summary>How every redaction placeholder starts: <c>[REDACTED]</c> for a policy's paths, <c>[REDACTED:kind]</c> for secrets.</summary>
    private const string RedactionMarker = "[REDACTED";

    private readonly ReinDatabase _database;
    private readonly AuditLog _audit;
    private readonly KeyService _keys;
    private readonly TraceQueries _traces;
    private readonly ApprovalWaiters _waiters;
    private readonly DecisionSpans _spans;
    private readonly IDataProtector _protector;
    private readonly ApprovalsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ApprovalService> _logger;
    private readonly Core.Traces.Redactor _redactor;

    internal ApprovalService(
        ReinDatabase database,
        AuditLog audit,
        KeyService keys,
        TraceQueries traces,
        ApprovalWaiters waiters,
        DecisionSpans spans,
        IDataProtectionProvider protection,
        ApprovalsOptions options,
        TimeProvider time,
        ILogger<ApprovalService> logger,
        Core.Traces.Redactor? redactor = null)
    {
        _redactor = redactor ?? Core.Traces.Redactor.Default;
        _database = database;
        _audit = audit;
        _keys = keys;
        _traces = traces;
        _waiters = waiters;
        _spans = spans;
        _protector = protection.CreateProtector("Rein.Approvals.Token");
        _options = options;
        _time = time;
        _logger = logger;
    }

    /// <summary>The inbox: most severe first, then oldest first.</summary>
    /// <exception cref="ReinProblemException">400 for a filter or cursor that is not valid.</exception>
    public async Task<ApprovalPage> ListAsync(Caller caller, ApprovalFilter filter, string? cursor, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(filter);
        Permissions.Demand(caller, Permission.Read);
        if (filter.Status is { } status && !ApprovalStatuses.All.Contains(status))
        {
            throw ReinProblemException.Invalid("status", $"'{ApprovalQueueNames.Shorten(status)}' is not a status; use {string.Join(", ", ApprovalStatuses.All)}");
        }

        if (filter.Queue is { } queue)
        {
            ApprovalQueueNames.Validate("queue", queue);
        }

        if (limit is < 1 or > MaxPageSize)
        {
            throw ReinProblemException.Invalid("limit", $"must be between 1 and {MaxPageSize}");
        }

        var after = cursor is null ? ((int, long, string)?)null : ParseCursor(cursor) ?? throw ReinProblemException.Invalid("cursor", "is not a cursor this server gave out; pass the next of the previous page");
        var rows = await _database.ReadAsync(c => ApprovalStore.ListAsync(c, caller.ProjectId, filter, after, limit + 1), cancellationToken);
        var more = rows.Count > limit;
        if (more)
        {
            rows.RemoveAt(rows.Count - 1);
        }

        return new ApprovalPage([.. rows.Select(Summary)], more ? Cursor(rows[^1]) : null);
    }

    /// <summary>
    /// A request with its evidence. With <paramref name="wait"/> above zero and the request pending, answers as soon
    /// as it is decided or expires, or at the end of the wait with it still pending. The token of an approval is in the
    /// answer only for an agent key, and only while it is unused and unexpired.
    /// </summary>
    /// <exception cref="ReinProblemException">400 for a wait over <see cref="ApprovalsOptions.MaxWait"/>; 404 when the project has no such request.</exception>
    public async Task<ApprovalResponse> GetAsync(Caller caller, string id, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.Role.Grants(Permission.Act) && !caller.Role.Grants(Permission.Read))
        {
            Permissions.Demand(caller, Permission.Read);
        }

        if (wait < TimeSpan.Zero || wait > _options.MaxWait)
        {
            throw ReinProblemException.Invalid("wait", $"must be between 0s and {ApprovalsOptions.Format(_options.MaxWait)} (Approvals:MaxWait); wait again for longer");
        }

        var row = await FindAsync(caller, id, cancellationToken);
        if (row.Status == ApprovalStatuses.Pending && wait > TimeSpan.Zero)
        {
            row = await WaitAsync(caller, row, wait, cancellationToken);
        }

        return await ResponseAsync(caller, row, cancellationToken);
    }

    /// <summary>Approves a pending request. Arguments that differ from the proposed ones make it a modification: the
    /// token then binds to them.</summary>
    /// <exception cref="ReinProblemException">400/413 naming the field; 403 without the approve permission or for a
    /// queue the key may not decide; 404; 409 when the request is not pending.</exception>
    public Task<ApprovalResponse> ApproveAsync(Caller caller, string id, string? note, JsonElement? args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Approve);
        var validNote = Note(note);
        var modified = args is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } given ? Arguments(given) : (JsonElement?)null;
        return DecideAsync(caller, id, validNote, approve: true, modified, cancellationToken);
    }

    /// <exception cref="ReinProblemException">As for <see cref="ApproveAsync"/>.</exception>
    public Task<ApprovalResponse> RejectAsync(Caller caller, string id, string? note, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Permissions.Demand(caller, Permission.Approve);
        return DecideAsync(caller, id, Note(note), approve: false, null, cancellationToken);
    }

    internal async Task<int> ExpireDueAsync(CancellationToken cancellationToken)
    {
        const int Batch = 500;
        var total = 0;
        while (true)
        {
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            // Most passes find nothing: they read, and never take the write lock for nothing.
            if (!await _database.ReadAsync(c => ApprovalStore.AnyDueAsync(c, now), cancellationToken))
            {
                return total;
            }

            var expired = await _database.WriteAsync(async (c, t) =>
            {
                var rows = await ApprovalStore.ExpireDueAsync(c, t, now, Batch);
                foreach (var row in rows)
                {
                    await AuditExpiryAsync(c, t, row);
                    await ApprovalStore.NotifyAsync(c, t, row.ProjectId, row.Id);
                }

                return rows;
            }, cancellationToken);
            foreach (var row in expired)
            {
                Decided(row);
            }

            total += expired.Count;
            if (expired.Count < Batch)
            {
                return total;
            }
        }
    }

    private async Task<ApprovalResponse> DecideAsync(Caller caller, string id, string? note, bool approve, JsonElement? modified, CancellationToken cancellationToken)
    {
        var existing = await FindAsync(caller, id, cancellationToken);
        var allowed = await _keys.QueuesOfAsync(caller, cancellationToken);
        if (allowed is not null && !allowed.Contains(existing.Queue, StringComparer.Ordinal))
        {
            throw new ReinProblemException(StatusCodes.Status403Forbidden, "Forbidden",
                $"this key may decide {DescribeQueues(allowed)}; request {existing.Id} is in queue {existing.Queue}");
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var (row, changed) = await _database.WriteAsync(async (c, t) =>
        {
            var before = await ApprovalStore.GetAsync(c, t, caller.ProjectId, existing.Id, forUpdate: true) ?? throw NotFound(caller, id);
            if (before.Status != ApprovalStatuses.Pending)
            {
                throw NotPending(before);
            }

            if (before.ExpiresAt <= now)
            {
                // Past its expiry but not yet swept: it expires now, whatever was asked (fail closed).
                var expired = Expired(before, now);
                await ApprovalStore.DecideAsync(c, t, before.ProjectId, before.Id, Write(expired));
                await AuditExpiryAsync(c, t, expired);
                await ApprovalStore.NotifyAsync(c, t, before.ProjectId, before.Id);
                return (expired, false);
            }

            var after = approve ? Approved(before, caller, note, modified, now) : Rejected(before, caller, note, now);
            if (after.Outcome == ApprovalOutcomes.Modified && SecretPath(modified!.Value, "args", null) is { } secret)
            {
                // Modified arguments are stored for the agent to read, and Rein stores no secret: redacted, the agent
                // would act on the placeholder; so a secret is refused (the transaction rolls back, nothing changes).
                throw ReinProblemException.Invalid("args",
                    $"{secret.Path} holds a secret ({secret.Kind}), which Rein never stores; give a reference the agent can resolve (a vault path, a card token), or reject and let the agent propose again");
            }

            var token = approve ? ApprovalTokens.New() : null;
            if (token is not null)
            {
                after.TokenHash = ApprovalTokens.Hash(token);
                after.TokenProtected = _protector.Protect(token);
                after.TokenExpiresAt = now + (long)_options.TokenLifetime.TotalMilliseconds;
            }

            if (!await ApprovalStore.DecideAsync(c, t, before.ProjectId, before.Id, Write(after)))
            {
                // Decided concurrently on SQLite's other connection or a replica that won the race.
                throw NotPending(await ApprovalStore.GetAsync(c, t, caller.ProjectId, existing.Id) ?? before);
            }

            var changes = after.Outcome == ApprovalOutcomes.Modified ? ArgumentChanges.Between(EvidenceArgs(before.Evidence), Parse(after.ApprovedArgs)) : [];
            await _audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId, "approval." + after.Outcome, "approval", before.Id, Digest(before), Digest(after),
                JsonSerializer.Serialize(new { queue = after.Queue, agent = after.Agent, tool = after.Tool, runId = after.RunId, note, changedFields = changes, approvedArgsHash = after.ApprovedArgsHash })));
            await ApprovalStore.NotifyAsync(c, t, before.ProjectId, before.Id);
            return (after, true);
        }, cancellationToken);

        Decided(row);
        if (!changed)
        {
            throw NotPending(row);
        }

        return await ResponseAsync(caller, row, cancellationToken);
    }

    /// <summary>After a decision or an expiry committed: wake the waiters here, write the span, log it.</summary>
    private void Decided(ApprovalRow row)
    {
        _waiters.Signal(row.ProjectId, row.Id);
        if (ApprovalSpans.Build(row) is { } span)
        {
            _spans.Enqueue(new Caller("rein", "rein", row.ProjectId, Role.Agent), span);
        }

        Log.ApprovalDecided(_logger, row.Id, row.Outcome ?? row.Status, row.Queue, row.ProjectId, row.DecidedBy ?? SystemActor);
    }

    private async Task<ApprovalRow> WaitAsync(Caller caller, ApprovalRow row, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var waiter = _waiters.Register(caller.ProjectId, row.Id);
        if (waiter is null)
        {
            // At the bound: answered as it stands; the agent asks again.
            return row;
        }

        var started = _time.GetTimestamp();
        while (true)
        {
            // Read after registering: a decision that commits between this read and the wait still signals.
            row = await _database.ReadAsync(c => ApprovalStore.GetAsync(c, null, caller.ProjectId, row.Id), cancellationToken) ?? row;
            var left = wait - _time.GetElapsedTime(started);
            if (row.Status != ApprovalStatuses.Pending || left <= TimeSpan.Zero)
            {
                return row;
            }

            await waiter.WaitAsync(left < _options.NotifyPollInterval ? left : _options.NotifyPollInterval, _time, cancellationToken);
        }
    }

    private async Task<ApprovalRow> FindAsync(Caller caller, string id, CancellationToken cancellationToken) =>
        (ApprovalIds.IsValid(id) ? await _database.ReadAsync(c => ApprovalStore.GetAsync(c, null, caller.ProjectId, id), cancellationToken) : null)
        ?? throw NotFound(caller, id);

    private async Task<ApprovalResponse> ResponseAsync(Caller caller, ApprovalRow row, CancellationToken cancellationToken)
    {
        using var evidence = JsonDocument.Parse(row.Evidence);
        var root = evidence.RootElement;
        JsonElement? args = root.TryGetProperty("args", out var a) ? a.Clone() : null;
        JsonElement? context = root.TryGetProperty("context", out var ctx) ? ctx.Clone() : null;
        JsonElement? reason = context is { ValueKind: JsonValueKind.Object } cv
            ? cv.TryGetProperty("reason", out var r) ? r : cv.TryGetProperty("confidence", out var conf) ? conf : null
            : null;
        ApprovalRunEvidence? run = null;
        if (row.TraceId is { } traceId && await _traces.RecentAsync(row.ProjectId, traceId, EvidenceSteps, cancellationToken) is { } recent)
        {
            run = new ApprovalRunEvidence(
                [.. recent.Spans.Select(s => new ApprovalRunStep(
                    s.Name, s.Kind.ToString().ToLowerInvariant(), s.Status.ToString().ToLowerInvariant(), s.DurationNanos / 1e6, s.Cost))],
                recent.Run.Cost, recent.Run.DurationMs, recent.Run.Steps);
        }

        string? token = null;
        if (MayHoldToken(caller, row) && row.TokenProtected is { } protectedToken && row.TokenUsedAt is null &&
            row.TokenExpiresAt is { } expires && _time.GetUtcNow().ToUnixTimeMilliseconds() < expires)
        {
            try
            {
                token = _protector.Unprotect(protectedToken);
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                // The key that protected it is gone (data-protection keys reset): the approval cannot be redeemed,
                // and the agent, seeing no token, treats it as it would an expired one.
                token = null;
            }
        }

        return new ApprovalResponse
        {
            Id = row.Id,
            Status = row.Status,
            Outcome = row.Outcome,
            Queue = row.Queue,
            Severity = row.Severity,
            CreatedAt = At(row.CreatedAt),
            ExpiresAt = At(row.ExpiresAt),
            DecidedAt = row.DecidedAt is { } d ? At(d) : null,
            DecidedBy = row.DecidedBy,
            DecidedByName = row.DecidedByName,
            Note = row.Note,
            DecisionId = row.DecisionId,
            Agent = row.Agent,
            Release = row.Release,
            RunId = row.RunId,
            SessionId = row.SessionId,
            TraceId = row.TraceId,
            PrincipalId = row.PrincipalId,
            Tool = row.Tool,
            Server = row.Server,
            Policy = PolicyOf(row),
            Rule = row.Rule,
            Message = row.Message,
            ArgsHash = row.ArgsHash,
            Evidence = new ApprovalEvidence(args, context, run, reason?.Clone()),
            ApprovedArgs = Parse(row.ApprovedArgs),
            ApprovedArgsHash = row.ApprovedArgsHash,
            Token = token,
            TokenExpiresAt = token is null ? null : At(row.TokenExpiresAt!.Value),
        };
    }

    /// <summary>The token goes only to the key whose gate call opened the request; other keys of the project see the
    /// request without it. Requests opened before keys were recorded give it to an agent key of their agent.</summary>
    private static bool MayHoldToken(Caller caller, ApprovalRow row) =>
        row.RequestedBy is { } requestedBy
            ? requestedBy == caller.KeyId
            : AgentIdentity.BoundAgent(caller) is { } agent && AgentIdentity.Same(agent, row.Agent);

    private static ApprovalRow Approved(ApprovalRow before, Caller caller, string? note, JsonElement? modified, long now)
    {
        var after = before.Copy();
        after.Status = ApprovalStatuses.Approved;
        after.DecidedAt = now;
        after.DecidedBy = caller.KeyId;
        after.DecidedByName = caller.KeyName;
        after.Note = note;
        var hash = modified is { } m ? ArgumentsHash.Compute(m) : before.ArgsHash;
        if (hash != before.ArgsHash)
        {
            after.Outcome = ApprovalOutcomes.Modified;
            after.ApprovedArgs = modified!.Value.GetRawText();
        }
        else
        {
            after.Outcome = ApprovalOutcomes.Approved;
            after.ApprovedArgs = EvidenceArgs(before.Evidence)?.GetRawText();
        }

        after.ApprovedArgsHash = hash;
        return after;
    }

    private static ApprovalRow Rejected(ApprovalRow before, Caller caller, string? note, long now)
    {
        var after = before.Copy();
        after.Status = ApprovalStatuses.Rejected;
        after.Outcome = ApprovalOutcomes.Rejected;
        after.DecidedAt = now;
        after.DecidedBy = caller.KeyId;
        after.DecidedByName = caller.KeyName;
        after.Note = note;
        return after;
    }

    private static ApprovalRow Expired(ApprovalRow before, long now)
    {
        var after = before.Copy();
        after.Status = ApprovalStatuses.Expired;
        after.Outcome = ApprovalOutcomes.Expired;
        after.DecidedAt = now;
        return after;
    }

    private Task<AuditEntry> AuditExpiryAsync(System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, ApprovalRow row) =>
        _audit.AppendAsync(c, t, row.ProjectId, new AuditEvent(
            SystemActor, "approval.expired", "approval", row.Id, null, Digest(row),
            JsonSerializer.Serialize(new { queue = row.Queue, agent = row.Agent, tool = row.Tool, runId = row.RunId, expiresAt = At(row.ExpiresAt) })));

    private static ApprovalDecisionWrite Write(ApprovalRow r) =>
        new(r.Status, r.Outcome!, r.DecidedAt!.Value, r.DecidedBy, r.DecidedByName, r.Note, r.ApprovedArgs, r.ApprovedArgsHash, r.TokenHash, r.TokenProtected, r.TokenExpiresAt);

    private static string Digest(ApprovalRow r) => AuditChain.DigestOf(
        ("status", r.Status),
        ("outcome", r.Outcome),
        ("decidedBy", r.DecidedBy),
        ("note", r.Note),
        ("approvedArgsHash", r.ApprovedArgsHash));

    private static ApprovalSummary Summary(ApprovalRow r) => new(
        r.Id, r.Status, r.Outcome, r.Queue, r.Severity, At(r.CreatedAt), At(r.ExpiresAt), r.DecidedAt is { } d ? At(d) : null, r.DecidedBy,
        r.Agent, r.RunId, r.Tool, r.Rule, r.Message, r.ArgsHash);

    private static ApprovalQueue Queue(QueueRow r) =>
        new(r.Name, r.ExpiryMs is { } ms ? ApprovalsOptions.Format(TimeSpan.FromMilliseconds(ms)) : null, At(r.CreatedAt), At(r.UpdatedAt));

    private static PolicyRef? PolicyOf(ApprovalRow r) =>
        r is { PolicyName: { } name, PolicyVersion: { } version, PolicyHash: { } hash } ? new PolicyRef(name, version, hash) : null;

    private static JsonElement? EvidenceArgs(string evidence)
    {
        using var doc = JsonDocument.Parse(evidence);
        return doc.RootElement.TryGetProperty("args", out var args) ? args.Clone() : null;
    }

    private static JsonElement? Parse(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.Clone();
    }

    private static string Cursor(ApprovalRow r) =>
        string.Create(CultureInfo.InvariantCulture, $"{Rank(r.Severity)}.{r.CreatedAt}.{r.Id}");

    private static (int, long, string)? ParseCursor(string cursor)
    {
        var parts = cursor.Split('.');
        return parts.Length == 3 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var rank) && rank is >= 0 and <= 3 &&
            long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var created) && ApprovalIds.IsValid(parts[2])
            ? (rank, created, parts[2])
            : null;
    }

    private static int Rank(string severity) => PolicyNames.TryParseSeverity(severity, out var s) ? (int)s : 0;

    private static DateTimeOffset At(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    private static string? Invariant(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static ReinProblemException NotFound(Caller caller, string id) =>
        ReinProblemException.NotFound($"project {caller.ProjectId} has no approval request {ApprovalQueueNames.Shorten(id)}");

    private static ReinProblemException NotPending(ApprovalRow row) =>
        ReinProblemException.Conflict($"request {row.Id} is {row.Status}{(row.Outcome is { } o && o != row.Status ? $" ({o})" : "")}, not pending; it was decided at {At(row.DecidedAt ?? 0):u}");
}
