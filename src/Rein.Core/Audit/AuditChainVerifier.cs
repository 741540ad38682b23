namespace Rein.Core.Audit;

/// <summary>The first thing found wrong with a chain.</summary>
/// <param name="Seq">The entry named as altered, removed or out of place.</param>
/// <param name="Problem">What is wrong, in words.</param>
public sealed record AuditProblem(long Seq, string Problem);

/// <summary>The recorded end of a chain, kept apart from the entries so that removing the newest entries is noticed.</summary>
public sealed record AuditHead(long Seq, string Hash);

/// <summary>
/// Walks a project's entries in stored order (by sequence number) and stops at the first problem. Entries are fed
/// one at a time so that a long log is verified in pages without holding it in memory.
/// </summary>
public sealed class AuditChainVerifier(string? projectId = null)
{
    private long _expectedSeq = 1;
    private string _previousHash = AuditChain.GenesisHash;
    private AuditEntry? _previous;

    /// <summary>Entries checked so far.</summary>
    public long Checked { get; private set; }

    /// <summary>The first problem found; once set, further entries are ignored.</summary>
    public AuditProblem? Problem { get; private set; }

    /// <summary>Checks the next entry; returns false once a problem has been found.</summary>
    public bool Add(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (Problem is not null)
        {
            return false;
        }

        if (projectId is not null && !string.Equals(entry.ProjectId, projectId, StringComparison.Ordinal))
        {
            Problem = new AuditProblem(entry.Seq, $"entry {entry.Seq} belongs to project {entry.ProjectId}, not {projectId}");
            return false;
        }

        if (entry.Seq > _expectedSeq)
        {
            Problem = new AuditProblem(_expectedSeq, entry.Seq == _expectedSeq + 1
                ? $"entry {_expectedSeq} was removed"
                : $"entries {_expectedSeq} to {entry.Seq - 1} were removed");
            return false;
        }

        if (entry.Seq < _expectedSeq)
        {
            Problem = new AuditProblem(entry.Seq, $"entry {entry.Seq} appears again after entry {_expectedSeq - 1}: entries were duplicated or reordered");
            return false;
        }

        if (!string.Equals(AuditChain.ComputeHash(entry), entry.Hash, StringComparison.Ordinal))
        {
            Problem = new AuditProblem(entry.Seq, $"entry {entry.Seq} was altered or moved: its content no longer matches its hash");
            return false;
        }

        if (!string.Equals(entry.PrevHash, _previousHash, StringComparison.Ordinal))
        {
            // Both entries are self-consistent but do not link: the earlier one was changed and re-hashed, or this one
            // was replaced by a forged entry. The chain cannot tell which, so the message names both; the earlier
            // entry is the first that may be bad.
            Problem = _previous is null
                ? new AuditProblem(entry.Seq, $"entry {entry.Seq} does not start the chain: earlier entries were removed or it was moved")
                : new AuditProblem(_previous.Seq, $"entry {_previous.Seq} was altered and re-hashed, or entry {entry.Seq} was replaced: entry {entry.Seq} recorded a different hash for entry {_previous.Seq}");
            return false;
        }

        _previous = entry;
        _previousHash = entry.Hash;
        _expectedSeq++;
        Checked++;
        return true;
    }

    /// <summary>Compares the end of the walk with the recorded head; returns the first problem, if any.</summary>
    public AuditProblem? Complete(AuditHead? head)
    {
        if (Problem is not null || head is null)
        {
            return Problem;
        }

        var lastSeq = _expectedSeq - 1;
        if (head.Seq > lastSeq)
        {
            Problem = new AuditProblem(lastSeq + 1, head.Seq == lastSeq + 1
                ? $"entry {head.Seq} was removed (the log's head records {head.Seq} entries)"
                : $"entries {lastSeq + 1} to {head.Seq} were removed (the log's head records {head.Seq} entries)");
        }
        else if (head.Seq < lastSeq)
        {
            Problem = new AuditProblem(head.Seq + 1, $"entries after {head.Seq} were added outside Rein (the log's head records {head.Seq} entries)");
        }
        else if (!string.Equals(head.Hash, _previousHash, StringComparison.Ordinal))
        {
            Problem = new AuditProblem(lastSeq, $"entry {lastSeq} was altered or replaced: the log's head recorded a different hash for it");
        }

        return Problem;
    }
}
