using System.Buffers;
using System.Text;

namespace Rein.Core.Traces;

public sealed partial class Redactor
{
    /// <summary>Shortest run of base64 characters decoded: 15 bytes, less than any known token form.</summary>
    public const int MinBase64Run = 20;

    /// <summary>Characters of one base64 run decoded at most; a secret further into a longer run is not seen.</summary>
    public const int MaxBase64Chars = 4096;

    /// <summary>Characters of base64 decoded at most per text.</summary>
    public const int MaxBase64CharsPerText = 65_536;

    private static readonly SearchValues<char> Base64Chars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_");

    // Runs of base64 (standard or URL-safe) of at least MinBase64Run characters, found by probing every
    // MinBase64Run-th character: a long enough run must cover a probe, and the scan jumps past each run. A run whose
    // decoded bytes are text is searched like any text, one level deep; when a secret is in it, the whole run goes.
    private void FindBase64(string text, int priority, ref List<Hit>? hits)
    {
        var s = text.AsSpan();
        var budget = MaxBase64CharsPerText;
        var floor = 0;
        var p = MinBase64Run - 1;
        while (p < s.Length && budget > 0)
        {
            if (!Base64Chars.Contains(s[p]))
            {
                floor = p + 1;
                p += MinBase64Run;
                continue;
            }

            var start = p;
            while (start > floor && Base64Chars.Contains(s[start - 1]))
            {
                start--;
            }

            var stop = s[p..].IndexOfAnyExcept(Base64Chars);
            var end = stop < 0 ? s.Length : p + stop;
            if (end - start >= MinBase64Run)
            {
                var take = Math.Min(Math.Min(end - start, MaxBase64Chars), budget);
                budget -= take;
                if (DecodedKind(s.Slice(start, take)) is { } kind)
                {
                    var padded = end;
                    while (padded < s.Length && padded - end < 2 && s[padded] == '=')
                    {
                        padded++;
                    }

                    (hits ??= []).Add(new Hit(start, padded - start, kind, priority));
                }
            }

            floor = end + 1;
            p = end + MinBase64Run;
        }
    }

    private string? DecodedKind(ReadOnlySpan<char> run)
    {
        var usable = run.Length & ~3;
        var bytes = ArrayPool<byte>.Shared.Rent((usable / 4 * 3) + 2);
        try
        {
            var length = 0;
            for (var i = 0; i < usable; i += 4)
            {
                int a = Sextet(run[i]), b = Sextet(run[i + 1]), c = Sextet(run[i + 2]), d = Sextet(run[i + 3]);
                var n = (a << 18) | (b << 12) | (c << 6) | d;
                bytes[length++] = (byte)(n >> 16);
                bytes[length++] = (byte)(n >> 8);
                bytes[length++] = (byte)n;
            }

            // The last two or three characters of an unpadded run hold one or two more bytes.
            var rest = run.Length - usable;
            if (rest >= 2)
            {
                var n = (Sextet(run[usable]) << 18) | (Sextet(run[usable + 1]) << 12) | (rest == 3 ? Sextet(run[usable + 2]) << 6 : 0);
                bytes[length++] = (byte)(n >> 16);
                if (rest == 3)
                {
                    bytes[length++] = (byte)(n >> 8);
                }
            }

            var decoded = bytes.AsSpan(0, length);
            // Only text is searched: a digest, an image or an identifier decodes to bytes that are not.
            if (decoded.ContainsAnyInRange((byte)0, (byte)8) || decoded.ContainsAnyInRange((byte)14, (byte)31) || decoded.Contains((byte)127)
                || !System.Text.Unicode.Utf8.IsValid(decoded))
            {
                return null;
            }

            var found = Detect(Encoding.UTF8.GetString(decoded), nested: true);
            return found?.MinBy(h => h.Start).Kind;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    private static int Sextet(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '+' or '-' => 62,
        _ => 63,
    };
}
