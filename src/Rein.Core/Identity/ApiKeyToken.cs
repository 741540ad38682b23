using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Rein.Core.Identity;

/// <summary>
/// An API key as handed to a user: <c>rein_&lt;id&gt;_&lt;secret&gt;</c>. The id is public (it names the key in lists
/// and in the audit log); only a SHA-256 digest of the secret is ever stored. The secret carries 238 bits of entropy,
/// so a fast digest is enough: there is nothing to brute-force that a slow KDF would protect.
/// </summary>
public sealed class ApiKeyToken
{
    public const string Prefix = "rein_";

    /// <summary>Length of the public id: 12 characters of [a-z0-9], about 62 bits.</summary>
    public const int IdLength = 12;

    /// <summary>Length of the secret: 40 characters of base62, about 238 bits.</summary>
    public const int SecretLength = 40;

    /// <summary>Full length of a key string.</summary>
    public const int Length = 5 + IdLength + 1 + SecretLength;

    private const string IdAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private ApiKeyToken(string id, string secret)
    {
        Id = id;
        Secret = secret;
    }

    /// <summary>The public key id.</summary>
    public string Id { get; }

    /// <summary>The secret part; never stored, never logged.</summary>
    public string Secret { get; }

    /// <summary>The whole key string, shown to the user once.</summary>
    public string Value => Prefix + Id + "_" + Secret;

    /// <summary>Creates a new key from the system's cryptographic random source.</summary>
    public static ApiKeyToken Create() =>
        new(RandomNumberGenerator.GetString(IdAlphabet, IdLength), RandomNumberGenerator.GetString(SecretAlphabet, SecretLength));

    /// <summary>A new public id in the key-id alphabet, for other objects that want the same shape.</summary>
    public static string NewId() => RandomNumberGenerator.GetString(IdAlphabet, IdLength);

    /// <summary>Splits a presented key string. Does not touch storage; the caller looks the id up and calls
    /// <see cref="Matches"/>.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out ApiKeyToken? token)
    {
        token = null;
        if (value is null || value.Length != Length || !value.StartsWith(Prefix, StringComparison.Ordinal) || value[Prefix.Length + IdLength] != '_')
        {
            return false;
        }

        var id = value.Substring(Prefix.Length, IdLength);
        var secret = value[(Prefix.Length + IdLength + 1)..];
        if (!id.All(c => IdAlphabet.Contains(c, StringComparison.Ordinal)) || !secret.All(char.IsAsciiLetterOrDigit))
        {
            return false;
        }

        token = new ApiKeyToken(id, secret);
        return true;
    }

    /// <summary>True when a string has the shape of a key id (used to give 404 rather than 400 for well-formed ids).</summary>
    public static bool IsValidId(string? id) =>
        id is { Length: IdLength } && id.All(c => IdAlphabet.Contains(c, StringComparison.Ordinal));

    /// <summary>The digest that is stored for this key.</summary>
    public byte[] Hash() => SHA256.HashData(Encoding.ASCII.GetBytes(Secret));

    /// <summary>Compares this key's digest to a stored one in constant time.</summary>
    public bool Matches(ReadOnlySpan<byte> storedHash)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        Span<byte> secret = stackalloc byte[SecretLength];
        Encoding.ASCII.GetBytes(Secret, secret);
        SHA256.HashData(secret, digest);
        return CryptographicOperations.FixedTimeEquals(digest, storedHash);
    }

    /// <summary>The key with its secret masked, safe to print: <c>rein_abc123def456_…</c>.</summary>
    public override string ToString() => Prefix + Id + "_…";
}
