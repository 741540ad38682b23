using System.Buffers;
using System.Security.Cryptography;

namespace Rein.Server.Storage;

/// <summary>
/// Ids that sort by creation time: a four-character prefix naming the kind (<c>dec_</c>, <c>apr_</c>, <c>dlv_</c>), ten
/// characters of Unix milliseconds and sixteen random ones, all in Crockford's base-32 lower case; thirty in all. Their
/// order is their creation order to the millisecond, so they serve as listing cursors and index well.
/// </summary>
internal static class SortableIds
{
    public const int Length = 30;

    private const int PrefixLength = 4;

    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    private static readonly SearchValues<char> AlphabetValues = SearchValues.Create(Alphabet);

    /// <param name="prefix">Four characters, such as <c>dec_</c>.</param>
    /// <param name="at">The creation time the id sorts by.</param>
    public static string New(string prefix, DateTimeOffset at)
    {
        Span<char> id = stackalloc char[Length];
        prefix.AsSpan(0, PrefixLength).CopyTo(id);
        var ms = (ulong)at.ToUnixTimeMilliseconds();
        for (var i = 13; i >= PrefixLength; i--)
        {
            id[i] = Alphabet[(int)(ms & 31)];
            ms >>= 5;
        }

        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        for (var i = 0; i < 16; i++)
        {
            id[14 + i] = Alphabet[random[i] & 31];
        }

        return new string(id);
    }

    public static bool IsValid(string prefix, string? id) =>
        id is { Length: Length } && id.StartsWith(prefix, StringComparison.Ordinal) && id.AsSpan(PrefixLength).IndexOfAnyExcept(AlphabetValues) < 0;
}
