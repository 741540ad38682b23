using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Traces;
using Rein.Server.Storage;

namespace Rein.Server.Audit;

/// <summary>The result of walking a project's chain.</summary>
public sealed record AuditVerification(bool Valid, long Checked, AuditHead? Head, AuditProblem? Problem);

/// <summary>
/// Each project's append-only, hash-chained log of changes of state. A capability appends inside the transaction
/// that makes its change, so the change and its entry commit or fail together. The head row (sequence and hash of the
/// newest entry) is updated in the same transaction; its row lock serialises appends of one project, on PostgreSQL
/// across replicas too. An entry can never change, so its details pass through the secret redactor before they are
/// hashed and stored: every capability's audited text (notes, reasons, arguments) is redacted here, in one place.
/// </summary>
public sealed class AuditLog(ReinDatabase database, TimeProvider time, ILogger<AuditLog> logger, Redactor? redactor = null)
{
    private readonly Redactor _redactor = redactor ?? Redactor.Default;

    /// <summary>Entries a verification reads per query; the walk never holds more than one page.</summary>
    internal const int VerifyPageSize = 1000;

    /// <summary>Starts a new project's chain. Called once, in the transaction that creates the project.</summary>
    public static Task StartChainAsync(DbConnection c, DbTransaction t, string projectId) =>
        c.ExecuteAsync("INSERT INTO audit_heads (project_id, seq, hash) VALUES (@projectId, 0, @hash)", new { projectId, hash = AuditChain.GenesisHash }, t);

    public async Task<AuditEntry> AppendAsync(DbConnection c, DbTransaction t, string projectId, AuditEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var redactions = 0;
        e = e with { Details = e.Details is null ? null : _redactor.RedactJson(e.Details, ref redactions) };
        // Taking the next number and the previous hash in one UPDATE locks the head row until commit.
        var head = await c.QuerySingleOrDefaultAsync<HeadRow>(
            "UPDATE audit_heads SET seq = seq + 1 WHERE project_id = @projectId RETURNING seq, hash",
            new { projectId },
            t) ?? throw new InvalidOperationException($"Project {projectId} has no audit chain.");

        // Millisecond precision: the stored value is what gets hashed, so no precision may be lost on the way back.
        var at = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
        var hash = AuditChain.ComputeHash(projectId, head.Seq, at, e, head.Hash);
        await c.ExecuteAsync(
            """
            INSERT INTO audit_log (project_id, seq, at, actor, action, object_type, object_id, before_digest, after_digest, details, prev_hash, hash)
            VALUES (@projectId, @seq, @at, @Actor, @Action, @ObjectType, @ObjectId, @BeforeDigest, @AfterDigest, @Details, @prev, @hash);
            UPDATE audit_heads SET hash = @hash WHERE project_id = @projectId;
            """,
            new { projectId, seq = head.Seq, at = at.ToUnixTimeMilliseconds(), e.Actor, e.Action, e.ObjectType, e.ObjectId, e.BeforeDigest, e.AfterDigest, e.Details, prev = head.Hash, hash },
            t);
        return new AuditEntry(projectId, head.Seq, at, e.Actor, e.Action, e.ObjectType, e.ObjectId, e.BeforeDigest, e.AfterDigest, e.Details, head.Hash, hash);
    }

    /// <summary>Newest first, entries before <paramref name="before"/> (a sequence number) when given.</summary>
    public Task<IReadOnlyList<AuditEntry>> ListAsync(string projectId, long? before, int limit, string? action, CancellationToken cancellationToken) =>
        database.ReadAsync<IReadOnlyList<AuditEntry>>(async c =>
        [
            .. (await c.QueryAsync<EntryRow>(
                    """
                    SELECT * FROM audit_log
                    WHERE project_id = @projectId AND (@before IS NULL OR seq < @before)
                      AND (@action IS NULL OR action = @action OR substr(action, 1, @prefixLength) = @actionPrefix)
                    ORDER BY seq DESC LIMIT @limit
                    """,
                    new { projectId, before, limit, action, actionPrefix = action + ".", prefixLength = (action?.Length ?? 0) + 1 }))
                .Select(r => r.ToEntry()),
        ], cancellationToken);

    public Task<long> CountAsync(string projectId, CancellationToken cancellationToken) =>
        database.ReadAsync(c => c.ExecuteScalarAsync<long>("SELECT count(*) FROM audit_log WHERE project_id = @projectId", new { projectId }), cancellationToken);

    /// <summary>Recomputes the chain in pages and compares its end with the recorded head.</summary>
    public async Task<AuditVerification> VerifyAsync(string projectId, CancellationToken cancellationToken)
    {
        await using var c = await database.OpenAsync(cancellationToken);
        var headRow = await c.QuerySingleOrDefaultAsync<HeadRow>("SELECT seq, hash FROM audit_heads WHERE project_id = @projectId", new { projectId });
        var head = headRow is null ? null : new AuditHead(headRow.Seq, headRow.Hash);
        var verifier = new AuditChainVerifier(projectId);
        long after = 0;
        while (true)
        {
            var page = (await c.QueryAsync<EntryRow>(
                "SELECT * FROM audit_log WHERE project_id = @projectId AND seq > @after ORDER BY seq LIMIT @limit",
                new { projectId, after, limit = VerifyPageSize })).ToList();
            foreach (var row in page)
            {
                if (!verifier.Add(row.ToEntry()))
                {
                    break;
                }
            }

            if (verifier.Problem is not null || page.Count < VerifyPageSize)
            {
                break;
            }

            after = page[^1].Seq;
            cancellationToken.ThrowIfCancellationRequested();
        }

        var problem = verifier.Complete(head);
        if (problem is not null)
        {
            Log.AuditChainBroken(logger, projectId, problem.Seq, problem.Problem);
        }

        return new AuditVerification(problem is null, verifier.Checked, head, problem);
    }

    private sealed class HeadRow
    {
        public long Seq { get; set; }
        public string Hash { get; set; } = "";
    }

    private sealed class EntryRow
    {
        public string ProjectId { get; set; } = "";
        public long Seq { get; set; }
        public long At { get; set; }
        public string Actor { get; set; } = "";
        public string Action { get; set; } = "";
        public string ObjectType { get; set; } = "";
        public string ObjectId { get; set; } = "";
        public string? BeforeDigest { get; set; }
        public string? AfterDigest { get; set; }
        public string? Details { get; set; }
        public string PrevHash { get; set; } = "";
        public string Hash { get; set; } = "";

        public AuditEntry ToEntry() => new(
            ProjectId, Seq, DateTimeOffset.FromUnixTimeMilliseconds(At), Actor, Action, ObjectType, ObjectId, BeforeDigest, AfterDigest, Details, PrevHash, Hash);
    }
}
