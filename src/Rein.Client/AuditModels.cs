namespace Rein.Client;

/// <summary>One entry of a project's hash-chained audit log.</summary>
/// <param name="Seq">Position in the project's chain, from 1.</param>
/// <param name="At">When the change happened.</param>
/// <param name="Actor">The id of the key that made the change (<c>system</c> for the server itself).</param>
/// <param name="Action">What happened, such as <c>key.create</c> or <c>project.create</c>.</param>
/// <param name="ObjectType">The kind of object changed, such as <c>key</c>.</param>
/// <param name="ObjectId">The id of the object changed.</param>
/// <param name="BeforeDigest">Digest of the object before the change; null when it did not exist.</param>
/// <param name="AfterDigest">Digest of the object after the change; null when it no longer exists.</param>
/// <param name="Details">Details of the change as a JSON text, or null.</param>
/// <param name="PrevHash">The hash of the previous entry.</param>
/// <param name="Hash">This entry's hash, which covers <paramref name="PrevHash"/>.</param>
public sealed record AuditEntry(
    long Seq,
    DateTimeOffset At,
    string Actor,
    string Action,
    string ObjectType,
    string ObjectId,
    string? BeforeDigest,
    string? AfterDigest,
    string? Details,
    string PrevHash,
    string Hash);

/// <summary>The last entry of a verified chain.</summary>
/// <param name="Seq">Its position.</param>
/// <param name="Hash">Its hash: the value that commits to the whole chain.</param>
public sealed record AuditHead(long Seq, string Hash);

/// <summary>The first entry at which a chain failed verification.</summary>
/// <param name="Seq">The entry's position.</param>
/// <param name="Problem">What is wrong with it.</param>
public sealed record AuditProblem(long Seq, string Problem);

/// <summary>The result of verifying a project's audit chain.</summary>
/// <param name="Valid">True when every entry's hash matches and links to the one before it.</param>
/// <param name="Checked">How many entries were checked.</param>
/// <param name="Head">The last entry; null for an empty log.</param>
/// <param name="Problem">The first bad entry when <paramref name="Valid"/> is false; null otherwise.</param>
public sealed record AuditVerification(bool Valid, long Checked, AuditHead? Head, AuditProblem? Problem);
