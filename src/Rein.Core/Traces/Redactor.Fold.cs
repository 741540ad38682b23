using System.Buffers;
using System.Globalization;
using System.Text;

namespace Rein.Core.Traces;

public sealed partial class Redactor
{
    /// <summary>Every character where folding may change something: the escape starts '%' and backslash, the characters
    /// <see cref="FoldRune"/> drops or folds, and the high surrogates of the supplementary blocks it folds. Text
    /// between them is copied as it is.</summary>
    private static readonly SearchValues<char> FoldStarts = SearchValues.Create(FoldStartChars());

    /// <summary>The text as detectors read it, and for each of its characters the index in the original text where
    /// it came from (one more entry at the end: the original's length).</summary>
    private readonly record struct Folded(string Text, int[] Map);

    /// <summary>
    /// One pass that decodes percent-escapes (<c>%3D</c>, UTF-8 sequences too) and JSON <c>\uXXXX</c> escapes once,
    /// folds full-width and other compatibility forms of letters and digits to ASCII (Unicode NFKC for the blocks that
    /// have them: superscripts, letterlike symbols, enclosed and mathematical alphanumerics, ligatures) and drops
    /// invisible characters (zero-width spaces and joiners, soft hyphens, direction marks, variation selectors, tags).
    /// Null when the text has nothing to change. A vectorised search finds the next character that may change, and
    /// the text up to it is copied in one piece, so plain text of any script costs little more than a copy.
    /// </summary>
    private static Folded? Fold(string text)
    {
        var span = text.AsSpan();
        var first = span.IndexOfAny(FoldStarts);
        if (first < 0)
        {
            return null;
        }

        var chars = new char[text.Length + 16];
        var map = new int[text.Length + 17];
        var length = 0;
        var changed = false;
        var i = 0;
        var next = first;
        Span<char> folded = stackalloc char[8];
        while (true)
        {
            // Copy what cannot change, up to the next character that may.
            var plain = next - i;
            if (length + plain > chars.Length)
            {
                Array.Resize(ref chars, Math.Max(chars.Length * 2, length + plain + 16));
                Array.Resize(ref map, chars.Length + 1);
            }

            span.Slice(i, plain).CopyTo(chars.AsSpan(length));
            for (var k = 0; k < plain; k++)
            {
                map[length + k] = i + k;
            }

            length += plain;
            i = next;
            if (i >= span.Length)
            {
                break;
            }

            var c = span[i];
            int consumed;
            int written;
            if (c == '%' && TryPercent(span, i, out var rune, out consumed))
            {
                written = FoldRune(rune, folded);
                changed = true;
            }
            else if (c == '\\' && TryJsonEscape(span, i, out rune, out consumed))
            {
                written = FoldRune(rune, folded);
                changed = true;
            }
            else if (c < '\u0080')
            {
                folded[0] = c;
                written = 1;
                consumed = 1;
            }
            else
            {
                if (Rune.DecodeFromUtf16(span[i..], out rune, out consumed) != OperationStatus.Done)
                {
                    rune = Rune.ReplacementChar;
                    consumed = 1;
                }

                written = FoldRune(rune, folded);
                changed |= written != consumed || !folded[..written].SequenceEqual(span.Slice(i, consumed));
            }

            if (length + written > chars.Length)
            {
                Array.Resize(ref chars, chars.Length * 2);
                Array.Resize(ref map, chars.Length + 1);
            }

            for (var k = 0; k < written; k++)
            {
                chars[length] = folded[k];
                map[length++] = i;
            }

            i += consumed;
            var ahead = i < span.Length ? span[i..].IndexOfAny(FoldStarts) : -1;
            next = ahead < 0 ? span.Length : i + ahead;
        }

        if (!changed)
        {
            return null;
        }

        map[length] = text.Length;
        return new Folded(new string(chars, 0, length), map);
    }

    private static string FoldStartChars()
    {
        var set = new StringBuilder("%\\");
        for (var v = 0x80; v <= 0xFFFF; v++)
        {
            if (v is >= 0xD800 and <= 0xDFFF)
            {
                continue;
            }

            if (IsInvisible(v) || v is >= 0xFF01 and <= 0xFF5E || v == 0x3000 || HasAsciiCompatibilityForm(v))
            {
                set.Append((char)v);
            }
        }

        // High surrogates of the supplementary ranges FoldRune changes: 1D400-1D7FF, 1F100-1F1FF, E0000-E0FFF.
        set.Append('\uD835').Append('\uD83C');
        for (var h = 0xDB40; h <= 0xDB43; h++)
        {
            set.Append((char)h);
        }

        return set.ToString();
    }

    /// <summary>The rune as detectors read it, written to <paramref name="into"/> (nothing for an invisible one).</summary>
    private static int FoldRune(Rune rune, Span<char> into)
    {
        var v = rune.Value;
        if (IsInvisible(v))
        {
            return 0;
        }

        if (v is >= 0xFF01 and <= 0xFF5E)
        {
            into[0] = (char)(v - 0xFEE0); // full-width ASCII
            return 1;
        }

        if (v == 0x3000)
        {
            into[0] = ' ';
            return 1;
        }

        if (HasAsciiCompatibilityForm(v))
        {
            var normalized = rune.ToString().Normalize(NormalizationForm.FormKC);
            if (normalized.Length <= into.Length && !normalized.AsSpan().ContainsAnyExceptInRange('\0', '\u007f'))
            {
                normalized.AsSpan().CopyTo(into);
                return normalized.Length;
            }
        }

        return rune.EncodeToUtf16(into);
    }

    private static bool IsInvisible(int v) =>
        v is 0x00AD or 0x034F or 0x061C or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x3164 or 0xFEFF or 0xFFA0
        || v is >= 0x180B and <= 0x180F
        || v is >= 0x200B and <= 0x200F
        || v is >= 0x202A and <= 0x202E
        || v is >= 0x2060 and <= 0x206F
        || v is >= 0xFE00 and <= 0xFE0F
        || v is >= 0xE0000 and <= 0xE0FFF;

    // Blocks whose letters and digits NFKC maps to ASCII; elsewhere (Latin with accents, Cyrillic, CJK…) folding
    // changes nothing a detector reads, so ICU is not asked.
    private static bool HasAsciiCompatibilityForm(int v) =>
        v is 0x00AA or 0x00B2 or 0x00B3 or 0x00B9 or 0x00BA
        || v is >= 0x2070 and <= 0x218F // super- and subscripts, letterlike symbols, number forms
        || v is >= 0x2460 and <= 0x24FF // enclosed alphanumerics
        || v is >= 0xFB00 and <= 0xFB06 // ligatures
        || v is >= 0x1D400 and <= 0x1D7FF // mathematical alphanumerics
        || v is >= 0x1F100 and <= 0x1F1FF; // enclosed alphanumeric supplement

    private static bool TryPercent(ReadOnlySpan<char> s, int i, out Rune rune, out int consumed)
    {
        rune = default;
        consumed = 0;
        Span<byte> bytes = stackalloc byte[4];
        var n = 0;
        var at = i;
        while (n < 4 && at + 2 < s.Length + 0 && s[at] == '%' && IsHex(s[at + 1]) && IsHex(s[at + 2]))
        {
            bytes[n++] = (byte)((HexValue(s[at + 1]) << 4) | HexValue(s[at + 2]));
            at += 3;
            if (n == 1 && bytes[0] < 0x80)
            {
                break;
            }
        }

        if (n == 0 || Rune.DecodeFromUtf8(bytes[..n], out rune, out var used) != OperationStatus.Done)
        {
            return false;
        }

        consumed = used * 3;
        return true;
    }

    private static bool TryJsonEscape(ReadOnlySpan<char> s, int i, out Rune rune, out int consumed)
    {
        rune = default;
        consumed = 0;
        if (!TryUnit(s, i, out var unit))
        {
            return false;
        }

        if (char.IsHighSurrogate(unit) && TryUnit(s, i + 6, out var low) && char.IsLowSurrogate(low))
        {
            rune = new Rune(unit, low);
            consumed = 12;
            return true;
        }

        if (char.IsSurrogate(unit))
        {
            return false;
        }

        rune = new Rune(unit);
        consumed = 6;
        return true;
    }

    private static bool TryUnit(ReadOnlySpan<char> s, int i, out char unit)
    {
        unit = '\0';
        if (i + 5 >= s.Length || s[i] != '\\' || s[i + 1] != 'u')
        {
            return false;
        }

        var hex = s.Slice(i + 2, 4);
        if (!ushort.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
        {
            return false;
        }

        unit = (char)value;
        return true;
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
