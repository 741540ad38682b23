using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Rein.Server.Storage;

namespace Rein.Server.Approvals;

/// <summary>Request ids: <c>apr_</c>, 10 characters of milliseconds and 16 random (Crockford base32), so they sort by
/// time, like decision ids.</summary>
internal static class ApprovalIds
{
    public const string Prefix = "apr_";

    public const int Length = SortableIds.Length;

    public static string New(DateTimeOffset at) => SortableIds.New(Prefix, at);

    public static bool IsValid(string? id) => SortableIds.IsValid(Prefix, id);
}

/// <summary>
/// Approval tokens: <c>rat_</c> and 43 characters of base64url (32 random bytes). Only a SHA-256 digest finds a
/// token's request; the token itself is kept protected by the server's data-protection keys so the waiting agent can
/// be given it again until it is used or expires.
/// </summary>
internal static class ApprovalTokens
{
    public const string Prefix = "rat_";

    public const int Length = 47;

    public static string New() => Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));

    public static bool IsWellFormed(string? token) =>
        token is { Length: Length } && token.StartsWith(Prefix, StringComparison.Ordinal) &&
        token.AsSpan(Prefix.Length).IndexOfAnyExcept(Base64UrlChars) < 0;

    /// <summary>Lowercase hex SHA-256 of the token's characters.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    private static readonly SearchValues<char> Base64UrlChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>Queue names: what a policy may write as a rule's <c>route</c>.</summary>
public static class ApprovalQueueNames
{
    /// <summary>Where a request goes when its rule names no route.</summary>
    public const string Default = "default";

    /// <summary>As long as a route may be in a policy (<see cref="Core.Policies.PolicyLimits.MaxNameLength"/>).</summary>
    public const int MaxLength = 128;

    private static readonly SearchValues<char> Chars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._:/-");

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } && !name.AsSpan().ContainsAnyExcept(Chars) && name[0] != ' ' && name[^1] != ' ';

    /// <summary>The name, or a 400 naming <paramref name="field"/>.</summary>
    public static string Validate(string field, string? name) =>
        IsValid(name) ? name!
        : throw ReinProblemException.Invalid(field, $"'{Shorten(name)}' is not a queue name: 1 to {MaxLength} characters of letters, digits, spaces and . _ : / -, without spaces at either end");

    internal static string Shorten(string? value) => value is { Length: > 80 } ? value[..80] + "…" : value ?? "";
}
