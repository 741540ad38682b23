namespace Rein.Core.Traces;

public sealed partial class Redactor
{
    // Card numbers (ISO/IEC 7812): 13 to 19 digits that pass the Luhn check, unbroken or in groups of 3 to 6 digits
    // with one kind of separator (a space or a dash). A card may sit inside a longer run of digit groups: followed by
    // a security code ("4111 1111 1111 1111 123"), or next to another card; every group starts a candidate, and the
    // longest card from it wins. A candidate spans at most 19 digits, so each group is read a bounded number of times.
    // Runs inside words or decimals are not cards.
    private static void FindCardNumbers(ReadOnlySpan<char> s, int priority, ref List<Hit>? hits)
    {
        Span<int> starts = stackalloc int[CardWindow];
        Span<int> lengths = stackalloc int[CardWindow];
        Span<char> separators = stackalloc char[CardWindow];
        var i = 0;
        while (i < s.Length)
        {
            var next = s[i..].IndexOfAnyInRange('0', '9');
            if (next < 0)
            {
                return;
            }

            var runStart = i + next;
            i = runStart;
            if (runStart > 0 && (char.IsAsciiLetterOrDigit(s[runStart - 1]) || s[runStart - 1] is '_' or '.'))
            {
                // Inside a word or a decimal: skip the whole digit run.
                i = SkipDigits(s, runStart);
                continue;
            }

            // Groups of the run, read into a window of CardWindow groups; a card never spans more.
            var count = 0;
            var at = runStart;
            var runEnd = runStart;
            while (true)
            {
                var groupStart = at;
                var end = SkipDigits(s, at);
                var separator = count == 0 ? '\0' : s[groupStart - 1];
                if (count == CardWindow)
                {
                    Scan(s, starts, lengths, separators, count, runEnd, endsRun: true, priority, ref hits, out var consumed);
                    Shift(starts, lengths, separators, ref count, consumed);
                }

                starts[count] = groupStart;
                lengths[count] = end - groupStart;
                separators[count] = separator;
                count++;
                runEnd = end;
                if (end + 1 < s.Length && s[end] is ' ' or '-' && char.IsAsciiDigit(s[end + 1]))
                {
                    at = end + 1;
                    continue;
                }

                break;
            }

            var trailing = runEnd < s.Length && (char.IsAsciiLetter(s[runEnd]) || s[runEnd] == '_' || (s[runEnd] == '.' && runEnd + 1 < s.Length && char.IsAsciiDigit(s[runEnd + 1])));
            while (count > 0)
            {
                Scan(s, starts, lengths, separators, count, runEnd, endsRun: !trailing, priority, ref hits, out var consumed);
                Shift(starts, lengths, separators, ref count, consumed);
            }

            i = runEnd;
        }
    }

    // Groups one card can span at most: 19 digits in groups of 3.
    private const int CardWindow = 8;

    private static int SkipDigits(ReadOnlySpan<char> s, int from)
    {
        var end = s[from..].IndexOfAnyExceptInRange('0', '9');
        return end < 0 ? s.Length : from + end;
    }

    private static void Shift(Span<int> starts, Span<int> lengths, Span<char> separators, ref int count, int consumed)
    {
        starts[consumed..count].CopyTo(starts);
        lengths[consumed..count].CopyTo(lengths);
        separators[consumed..count].CopyTo(separators);
        count -= consumed;
    }

    /// <summary>Looks for the longest card starting at the window's first group; <paramref name="consumed"/> is how many
    /// groups are done with (the card's, or the first alone).</summary>
    private static void Scan(
        ReadOnlySpan<char> s, ReadOnlySpan<int> starts, ReadOnlySpan<int> lengths, ReadOnlySpan<char> separators, int count, int runEnd, bool endsRun,
        int priority, ref List<Hit>? hits, out int consumed)
    {
        consumed = 1;
        var best = -1;
        var digits = 0;
        var grouped = true;
        for (var h = 0; h < count; h++)
        {
            digits += lengths[h];
            if (digits > 19)
            {
                break;
            }

            grouped &= lengths[h] is >= 3 and <= 6 && (h < 2 || separators[h] == separators[1]);
            var end = starts[h] + lengths[h];
            // The run's last group may not be glued to a word ("4111111111111111z").
            var boundaryOk = end != runEnd || endsRun;
            if (digits >= 13 && (h == 0 || grouped) && boundaryOk)
            {
                var card = s[starts[0]..end];
                if (card.IndexOfAnyExcept(card[0], h == 0 ? card[0] : separators[1]) >= 0 && PassesLuhn(card))
                {
                    best = h;
                }
            }

            if (!grouped)
            {
                break;
            }
        }

        if (best >= 0)
        {
            (hits ??= []).Add(new Hit(starts[0], starts[best] + lengths[best] - starts[0], "card_number", priority));
            consumed = best + 1;
        }
    }

    internal static bool PassesLuhn(ReadOnlySpan<char> number)
    {
        var sum = 0;
        var doubled = false;
        for (var i = number.Length - 1; i >= 0; i--)
        {
            if (!char.IsAsciiDigit(number[i]))
            {
                continue;
            }

            var d = number[i] - '0';
            if (doubled)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
            doubled = !doubled;
        }

        return sum % 10 == 0;
    }
}
