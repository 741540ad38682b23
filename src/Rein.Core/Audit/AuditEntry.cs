namespace Rein.Core.Audit;

/// <summary>One entry of a project's audit log, as stored. <see cref="Hash"/> covers every other field, so an entry
/// cannot change without its hash changing, and each entry holds the hash of the one before it.</summary>
public sealed record AuditEntry(
    string ProjectId,
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

/// <summary>What a change of state records, before it gets a place in the chain.</summary>
/// <param name="Actor">The key id that made the change, or <c>system</c>.</param>
/// <param name="Action">A dotted verb such as <c>key.create</c>.</param>
/// <param name="ObjectType">The kind of object changed, such as <c>key</c>.</param>
/// <param name="ObjectId">The id of the object changed.</param>
/// <param name="BeforeDigest">Digest of the object's state before the change; null when it did not exist.</param>
/// <param name="AfterDigest">Digest of the object's state after the change; null when it no longer exists.</param>
/// <param name="Details">A short JSON summary with no secrets in it, for people reading the log.</param>
public sealed record AuditEvent(
    string Actor,
    string Action,
    string ObjectType,
    string ObjectId,
    string? BeforeDigest,
    string? AfterDigest,
    string? Details = null);
