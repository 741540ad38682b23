using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Rein.Core.Audit;

/// <summary>Hashing rules of the audit chain. Every field is length-prefixed before hashing so that no two different
/// entries can produce the same byte stream by moving text from one field to the next.</summary>
public static class AuditChain
{
    /// <summary>The previous-hash of a project's first entry.</summary>
    public static readonly string GenesisHash = new('0', 64);

    // Bumped if the encoding below ever changes; old entries keep verifying under their own version.
    private const string Domain = "rein.audit.v1";

    /// <summary>The hash an entry must carry, given its content and the previous entry's hash.</summary>
    public static string ComputeHash(string projectId, long seq, DateTimeOffset at, AuditEvent e, string prevHash)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(hash, Domain);
        Append(hash, projectId);
        Append(hash, seq.ToString(CultureInfo.InvariantCulture));
        Append(hash, at.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        Append(hash, e.Actor);
        Append(hash, e.Action);
        Append(hash, e.ObjectType);
        Append(hash, e.ObjectId);
        Append(hash, e.BeforeDigest);
        Append(hash, e.AfterDigest);
        Append(hash, e.Details);
        Append(hash, prevHash);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Recomputes the hash of a stored entry from its fields.</summary>
    public static string ComputeHash(AuditEntry entry) =>
        ComputeHash(entry.ProjectId, entry.Seq, entry.At, ToEvent(entry), entry.PrevHash);

    /// <summary>The digest of an object's state: its named fields, sorted by name, each length-prefixed.
    /// Only what identifies the state goes in; secrets never do.</summary>
    public static string DigestOf(params (string Name, string? Value)[] fields)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, value) in fields.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            Append(hash, name);
            Append(hash, value);
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    private static AuditEvent ToEvent(AuditEntry e) =>
        new(e.Actor, e.Action, e.ObjectType, e.ObjectId, e.BeforeDigest, e.AfterDigest, e.Details);

    private static void Append(IncrementalHash hash, string? value)
    {
        Span<byte> length = stackalloc byte[4];
        if (value is null)
        {
            // -1 marks null so that null and "" hash differently.
            BinaryPrimitives.WriteInt32BigEndian(length, -1);
            hash.AppendData(length);
            return;
        }

        var bytes = Encoding.UTF8.GetBytes(value);
        BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
        hash.AppendData(length);
        hash.AppendData(bytes);
    }
}
