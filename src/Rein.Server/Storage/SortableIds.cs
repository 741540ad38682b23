using System.Buffers;
using System.Security.Cryptography;

namespace Rein.Server.Storage;

/// <summary>
/// Ids that sort by creation time: a four-character prefix naming the kind (<c>dec_</c>, <c>apr_</c>, <c>dlv_</c>), ten
/// characters of Unix milliseconds and sixteen random ones (counting up within a millisecond, see Tail), all in Crockford's base-32 lower case; thirty in all. Their
/// order is their creation order to the millisecond, so they serve as listing cursors and index well.
/// </summary>
internal static class SortableIds
{
    public const int Length = 30;

    private const int PrefixLength = 4;

    private const string Alphabet = "0123456789abcdefghjkmnpqrstvwxyz";

    private static readonly SearchValues<char> AlphabetValues = SearchValues.Create(Alphabet);

    // Sixteen base-32 characters: 80 bits.
    private static readonly UInt128 TailMask = (UInt128.One << 80) - 1;

    private static readonly Lock LastLock = new();

    private static ulong _lastMs = ulong.MaxValue;

    private static UInt128 _lastTail;

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

        var tail = Tail((ulong)at.ToUnixTimeMilliseconds());
        for (var i = Length - 1; i >= 14; i--)
        {
            id[i] = Alphabet[(int)(tail & 31)];
            tail >>= 5;
        }

        return new string(id);
    }

    /// <summary>The 80-bit tail: random, except that a second id of the same millisecond as the last one made here
    /// takes the last tail plus one, so ids made one after another in a millisecond sort in the order they were made
    /// (several replicas or a clock going back only lose that order within the millisecond).</summary>
    private static UInt128 Tail(ulong ms)
    {
        lock (LastLock)
        {
            if (ms == _lastMs && _lastTail < TailMask)
            {
                return ++_lastTail;
            }

            Span<byte> random = stackalloc byte[16];
            RandomNumberGenerator.Fill(random);
            _lastMs = ms;
            _lastTail = System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(random) & TailMask;
            return _lastTail;
        }
    }

    public static bool IsValid(string prefix, string? id) =>
        id is { Length: Length } && id.StartsWith(prefix, StringComparison.Ordinal) && id.AsSpan(PrefixLength).IndexOfAnyExcept(AlphabetValues) < 0;
}
