using System.Globalization;
using System.Text;

namespace Rein.Core.Expressions;

internal enum TokenKind
{
    End,
    Identifier,
    Int,
    Double,
    String,
    Punctuation,
}

/// <summary>One token. <see cref="Value"/> is a ulong for integers (so that the parser can fold
/// <c>-9223372036854775808</c>), a double or a string; <see cref="Text"/> is the punctuation or identifier.</summary>
internal readonly record struct Token(TokenKind Kind, string Text, object? Value, int Position);

/// <summary>A syntax error at a source offset; the compiler turns it into a problem in file coordinates.</summary>
internal sealed class SyntaxErrorException(int position, string message) : Exception(message)
{
    public int Position { get; } = position;
}

/// <summary>Splits CEL source into tokens (CEL language definition, "Syntax": numbers, strings with escapes, raw
/// and triple-quoted strings, line comments).</summary>
internal static class Lexer
{
    // CEL reserves these words; they may not be used as identifiers.
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "as", "break", "const", "continue", "else", "for", "function", "if", "import", "let", "loop", "package",
        "namespace", "return", "var", "void", "while",
    };

    public static List<Token> Tokenize(string source)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (true)
        {
            i = SkipSpace(source, i);
            if (i >= source.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", null, source.Length));
                return tokens;
            }

            var c = source[i];
            if (IsDigit(c) || (c == '.' && i + 1 < source.Length && IsDigit(source[i + 1])))
            {
                tokens.Add(ReadNumber(source, ref i));
            }
            else if (c is '"' or '\'')
            {
                tokens.Add(ReadString(source, ref i, i, raw: false));
            }
            else if (IsIdentifierStart(c))
            {
                var start = i;
                while (i < source.Length && IsIdentifierPart(source[i]))
                {
                    i++;
                }

                var word = source[start..i];
                if (i < source.Length && source[i] is '"' or '\'' && word.Length <= 2)
                {
                    var lower = word.ToLowerInvariant();
                    if (lower == "r")
                    {
                        tokens.Add(ReadString(source, ref i, start, raw: true));
                        continue;
                    }

                    if (lower is "b" or "rb" or "br")
                    {
                        throw new SyntaxErrorException(start, "bytes literals are not supported");
                    }
                }

                if (Reserved.Contains(word))
                {
                    throw new SyntaxErrorException(start, $"'{word}' is a reserved word");
                }

                tokens.Add(new Token(TokenKind.Identifier, word, null, start));
            }
            else
            {
                tokens.Add(ReadPunctuation(source, ref i));
            }
        }
    }

    private static int SkipSpace(string source, int i)
    {
        while (i < source.Length)
        {
            var c = source[i];
            if (c is ' ' or '\t' or '\n' or '\r' or '\f')
            {
                i++;
            }
            else if (c == '/' && i + 1 < source.Length && source[i + 1] == '/')
            {
                while (i < source.Length && source[i] != '\n')
                {
                    i++;
                }
            }
            else
            {
                break;
            }
        }

        return i;
    }

    private static Token ReadPunctuation(string source, ref int i)
    {
        var start = i;
        var c = source[i];
        var next = i + 1 < source.Length ? source[i + 1] : '\0';
        string text;
        switch (c)
        {
            case '(' or ')' or '[' or ']' or '{' or '}' or '.' or ',' or ':' or '?' or '+' or '-' or '*' or '/' or '%':
                text = c.ToString();
                break;
            case '<' or '>' or '!' or '=':
                if (next == '=')
                {
                    text = c + "=";
                }
                else if (c == '=')
                {
                    throw new SyntaxErrorException(start, "unexpected '='; use '==' to compare");
                }
                else
                {
                    text = c.ToString();
                }

                break;
            case '&' when next == '&':
                text = "&&";
                break;
            case '|' when next == '|':
                text = "||";
                break;
            default:
                throw new SyntaxErrorException(start, $"unexpected character {Describe(source, i)}");
        }

        i += text.Length;
        return new Token(TokenKind.Punctuation, string.Intern(text), null, start);
    }

    private static string Describe(string source, int i)
    {
        var c = source[i];
        if (c is >= ' ' and <= '~')
        {
            return $"'{c}'";
        }

        var codePoint = char.IsHighSurrogate(c) && i + 1 < source.Length && char.IsLowSurrogate(source[i + 1])
            ? char.ConvertToUtf32(c, source[i + 1])
            : c;
        return $"U+{codePoint:X4}";
    }

    private static Token ReadNumber(string source, ref int i)
    {
        var start = i;
        if (source[i] == '0' && i + 1 < source.Length && source[i + 1] is 'x' or 'X')
        {
            i += 2;
            var digitsStart = i;
            while (i < source.Length && char.IsAsciiHexDigit(source[i]))
            {
                i++;
            }

            if (i == digitsStart)
            {
                throw new SyntaxErrorException(start, "hexadecimal literal needs digits after 0x");
            }

            RejectSuffix(source, i, start);
            if (!ulong.TryParse(source.AsSpan(digitsStart, i - digitsStart), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            {
                throw new SyntaxErrorException(start, "integer literal out of range");
            }

            return new Token(TokenKind.Int, source[start..i], hex, start);
        }

        var isDouble = false;
        while (i < source.Length && IsDigit(source[i]))
        {
            i++;
        }

        if (i + 1 < source.Length && source[i] == '.' && IsDigit(source[i + 1]))
        {
            isDouble = true;
            i++;
            while (i < source.Length && IsDigit(source[i]))
            {
                i++;
            }
        }

        if (i < source.Length && source[i] is 'e' or 'E')
        {
            var e = i + 1;
            if (e < source.Length && source[e] is '+' or '-')
            {
                e++;
            }

            if (e >= source.Length || !IsDigit(source[e]))
            {
                throw new SyntaxErrorException(i, "exponent needs digits");
            }

            isDouble = true;
            i = e;
            while (i < source.Length && IsDigit(source[i]))
            {
                i++;
            }
        }

        RejectSuffix(source, i, start);
        var text = source[start..i];
        if (isDouble)
        {
            return new Token(TokenKind.Double, text, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture), start);
        }

        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new SyntaxErrorException(start, "integer literal out of range");
        }

        return new Token(TokenKind.Int, text, value, start);
    }

    private static void RejectSuffix(string source, int i, int start)
    {
        if (i < source.Length && source[i] is 'u' or 'U')
        {
            throw new SyntaxErrorException(start, "unsigned integers are not supported");
        }

        if (i < source.Length && IsIdentifierPart(source[i]))
        {
            throw new SyntaxErrorException(i, $"unexpected character '{source[i]}' after a number");
        }
    }

    private static Token ReadString(string source, ref int i, int start, bool raw)
    {
        var quote = source[i];
        var triple = i + 2 < source.Length && source[i + 1] == quote && source[i + 2] == quote;
        i += triple ? 3 : 1;
        var text = new StringBuilder();
        while (true)
        {
            if (i >= source.Length)
            {
                throw new SyntaxErrorException(start, "unterminated string");
            }

            var c = source[i];
            if (c == quote && (!triple || (i + 2 < source.Length && source[i + 1] == quote && source[i + 2] == quote)))
            {
                i += triple ? 3 : 1;
                return new Token(TokenKind.String, source[start..i], text.ToString(), start);
            }

            if (!triple && c is '\n' or '\r')
            {
                throw new SyntaxErrorException(start, "unterminated string (use triple quotes for several lines)");
            }

            if (c == '\\' && !raw)
            {
                ReadEscape(source, ref i, text);
                continue;
            }

            text.Append(c);
            i++;
        }
    }

    private static void ReadEscape(string source, ref int i, StringBuilder text)
    {
        var start = i;
        if (i + 1 >= source.Length)
        {
            throw new SyntaxErrorException(start, "unterminated escape sequence");
        }

        var c = source[i + 1];
        i += 2;
        switch (c)
        {
            case 'a': text.Append('\a'); return;
            case 'b': text.Append('\b'); return;
            case 'f': text.Append('\f'); return;
            case 'n': text.Append('\n'); return;
            case 'r': text.Append('\r'); return;
            case 't': text.Append('\t'); return;
            case 'v': text.Append('\v'); return;
            case '\\' or '\'' or '"' or '`' or '?': text.Append(c); return;
            case 'x' or 'X': AppendCodePoint(text, ReadHex(source, ref i, 2, start), start); return;
            case 'u': AppendCodePoint(text, ReadHex(source, ref i, 4, start), start); return;
            case 'U': AppendCodePoint(text, ReadHex(source, ref i, 8, start), start); return;
            case >= '0' and <= '3':
                if (i + 1 < source.Length && source[i] is >= '0' and <= '7' && source[i + 1] is >= '0' and <= '7')
                {
                    var value = ((c - '0') * 64) + ((source[i] - '0') * 8) + (source[i + 1] - '0');
                    i += 2;
                    text.Append((char)value);
                    return;
                }

                throw new SyntaxErrorException(start, "octal escape needs three digits, such as \\101");
            default:
                throw new SyntaxErrorException(start, $"unknown escape sequence '\\{c}'");
        }
    }

    private static int ReadHex(string source, ref int i, int digits, int start)
    {
        if (i + digits > source.Length)
        {
            throw new SyntaxErrorException(start, $"escape sequence needs {digits} hexadecimal digits");
        }

        var value = 0L;
        for (var k = 0; k < digits; k++)
        {
            var d = source[i + k];
            if (!char.IsAsciiHexDigit(d))
            {
                throw new SyntaxErrorException(start, $"escape sequence needs {digits} hexadecimal digits");
            }

            value = (value * 16) + (d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
        }

        i += digits;
        return value > int.MaxValue ? -1 : (int)value;
    }

    private static void AppendCodePoint(StringBuilder text, int codePoint, int start)
    {
        if (codePoint is < 0 or > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF))
        {
            throw new SyntaxErrorException(start, "escape sequence is not a valid Unicode code point");
        }

        text.Append(char.ConvertFromUtf32(codePoint));
    }

    private static bool IsDigit(char c) => c is >= '0' and <= '9';

    private static bool IsIdentifierStart(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or '_';

    private static bool IsIdentifierPart(char c) => IsIdentifierStart(c) || IsDigit(c);
}
