using System.Runtime.CompilerServices;

namespace Rein.Core.Expressions;

/// <summary>Recursive-descent parser for CEL's grammar (CEL language definition, "Syntax"), lowest precedence first:
/// <c>?:</c>, <c>||</c>, <c>&amp;&amp;</c>, relations and <c>in</c>, <c>+ -</c>, <c>* / %</c>, unary <c>! -</c>,
/// then member selection, indexing and calls. Nesting and node count are bounded while parsing so that hostile input
/// cannot exhaust the stack.</summary>
internal sealed class Parser
{
    private readonly List<Token> _tokens;
    private readonly ExpressionLimits _limits;
    private int _index;
    private int _recursion;
    private int _nodes;

    private Parser(List<Token> tokens, ExpressionLimits limits)
    {
        _tokens = tokens;
        _limits = limits;
    }

    /// <exception cref="SyntaxErrorException">The source does not parse or exceeds the node or depth bound.</exception>
    public static Syntax Parse(string source, ExpressionLimits limits)
    {
        var parser = new Parser(Lexer.Tokenize(source), limits);
        var result = parser.ParseExpression();
        var end = parser.Current;
        if (end.Kind != TokenKind.End)
        {
            throw new SyntaxErrorException(end.Position, $"unexpected {Describe(end)}; expected the end of the expression");
        }

        return result;
    }

    private Token Current => _tokens[_index];

    private bool At(string punctuation) => Current.Kind == TokenKind.Punctuation && Current.Text == punctuation;

    private bool AtKeyword(string word) => Current.Kind == TokenKind.Identifier && Current.Text == word;

    private Token Next() => _tokens[_index < _tokens.Count - 1 ? _index++ : _index];

    private Token Peek(int ahead) => _tokens[Math.Min(_index + ahead, _tokens.Count - 1)];

    private Token Expect(string punctuation, string what)
    {
        if (!At(punctuation))
        {
            throw new SyntaxErrorException(Current.Position, $"expected '{punctuation}' {what} but found {Describe(Current)}");
        }

        return Next();
    }

    private static string Describe(Token token) => token.Kind switch
    {
        TokenKind.End => "the end of the expression",
        TokenKind.String => "a string",
        TokenKind.Int or TokenKind.Double => $"'{token.Text}'",
        _ => $"'{token.Text}'",
    };

    private T Node<T>(T node)
        where T : Syntax
    {
        if (++_nodes > _limits.MaxNodes)
        {
            throw new SyntaxErrorException(node.Position, $"expression has more than {_limits.MaxNodes} nodes");
        }

        if (node.Depth > _limits.MaxDepth)
        {
            throw new SyntaxErrorException(node.Position, $"expression nests more than {_limits.MaxDepth} levels deep");
        }

        return node;
    }

    private void Enter()
    {
        if (++_recursion > _limits.MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw new SyntaxErrorException(Current.Position, $"expression nests more than {_limits.MaxDepth} levels deep");
        }
    }

    private Syntax ParseExpression()
    {
        Enter();
        var condition = ParseChain("||", ParseAnd);
        if (At("?"))
        {
            var position = Next().Position;
            var then = ParseChain("||", ParseAnd);
            Expect(":", "in a conditional");
            var otherwise = ParseExpression();
            condition = Node(new ConditionalSyntax(position, condition, then, otherwise));
        }

        _recursion--;
        return condition;
    }

    private Syntax ParseAnd() => ParseChain("&&", ParseRelation);

    /// <summary>Parses <c>a op b op c ...</c> into a balanced tree (as cel-go does), so a long chain of conditions
    /// stays shallow.</summary>
    private Syntax ParseChain(string op, Func<Syntax> operand)
    {
        var first = operand();
        if (!At(op))
        {
            return first;
        }

        var operands = new List<Syntax> { first };
        var positions = new List<int>();
        while (At(op))
        {
            positions.Add(Next().Position);
            operands.Add(operand());
        }

        return Balance(op, operands, positions, 0, operands.Count - 1);
    }

    private Syntax Balance(string op, List<Syntax> operands, List<int> positions, int low, int high)
    {
        if (low == high)
        {
            return operands[low];
        }

        var middle = (low + high + 1) / 2;
        var left = Balance(op, operands, positions, low, middle - 1);
        var right = Balance(op, operands, positions, middle, high);
        return Node(new BinarySyntax(positions[middle - 1], op, left, right));
    }

    private Syntax ParseRelation()
    {
        var left = ParseAddition();
        while (Current.Kind == TokenKind.Punctuation && Current.Text is "<" or "<=" or ">" or ">=" or "==" or "!=" || AtKeyword("in"))
        {
            var op = Next();
            var right = ParseAddition();
            left = Node(new BinarySyntax(op.Position, op.Text, left, right));
        }

        return left;
    }

    private Syntax ParseAddition()
    {
        var left = ParseMultiplication();
        while (At("+") || At("-"))
        {
            var op = Next();
            var right = ParseMultiplication();
            left = Node(new BinarySyntax(op.Position, op.Text, left, right));
        }

        return left;
    }

    private Syntax ParseMultiplication()
    {
        var left = ParseUnary();
        while (At("*") || At("/") || At("%"))
        {
            var op = Next();
            var right = ParseUnary();
            left = Node(new BinarySyntax(op.Position, op.Text, left, right));
        }

        return left;
    }

    private Syntax ParseUnary()
    {
        // CEL: "!" {"!"} Member and "-" {"-"} Member, read in a loop so that a long run of operators costs no stack.
        List<Token>? operators = null;
        while ((At("!") || At("-")) && !AtNegativeLiteral())
        {
            (operators ??= []).Add(Next());
        }

        var operand = AtNegativeLiteral() ? ParseNegativeLiteral() : ParseMember();
        for (var i = (operators?.Count ?? 0) - 1; i >= 0; i--)
        {
            operand = Node(new UnarySyntax(operators![i].Position, operators[i].Text, operand));
        }

        return operand;
    }

    private bool AtNegativeLiteral() => At("-") && Peek(1).Kind is TokenKind.Int or TokenKind.Double && !IsPostfix(Peek(2));

    /// <summary>A negative number is one literal, so that -9223372036854775808 fits.</summary>
    private LiteralSyntax ParseNegativeLiteral()
    {
        var minus = Next();
        var literal = Next();
        if (literal.Kind == TokenKind.Double)
        {
            return Node(new LiteralSyntax(minus.Position, -(double)literal.Value!));
        }

        var magnitude = (ulong)literal.Value!;
        if (magnitude > (ulong)long.MaxValue + 1)
        {
            throw new SyntaxErrorException(literal.Position, "integer literal out of range");
        }

        return Node(new LiteralSyntax(minus.Position, Values.Box(unchecked(-(long)magnitude))));
    }

    private static bool IsPostfix(Token token) => token.Kind == TokenKind.Punctuation && token.Text is "." or "[";

    private Syntax ParseMember()
    {
        var target = ParsePrimary();
        while (true)
        {
            if (At("."))
            {
                Next();
                var name = Current;
                if (name.Kind != TokenKind.Identifier)
                {
                    throw new SyntaxErrorException(name.Position, $"expected a field name after '.' but found {Describe(name)}");
                }

                Next();
                target = At("(")
                    ? Node(new CallSyntax(name.Position, target, name.Text, ParseArguments()))
                    : Node(new SelectSyntax(name.Position, target, name.Text));
            }
            else if (At("["))
            {
                var open = Next();
                var index = ParseExpression();
                Expect("]", "to close the index");
                target = Node(new IndexSyntax(open.Position, target, index));
            }
            else
            {
                return target;
            }
        }
    }

    private Syntax[] ParseArguments()
    {
        Expect("(", "before the arguments");
        var arguments = new List<Syntax>();
        if (!At(")"))
        {
            arguments.Add(ParseExpression());
            while (At(","))
            {
                Next();
                arguments.Add(ParseExpression());
            }
        }

        Expect(")", "to close the arguments");
        return [.. arguments];
    }

    private Syntax ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Int:
                Next();
                if ((ulong)token.Value! > long.MaxValue)
                {
                    throw new SyntaxErrorException(token.Position, "integer literal out of range");
                }

                return Node(new LiteralSyntax(token.Position, Values.Box((long)(ulong)token.Value!)));
            case TokenKind.Double:
                Next();
                return Node(new LiteralSyntax(token.Position, token.Value));
            case TokenKind.String:
                Next();
                return Node(new LiteralSyntax(token.Position, token.Value));
            case TokenKind.Identifier:
                return ParseIdentifier();
            case TokenKind.Punctuation when token.Text == ".":
                // A leading dot names the root scope; Rein has no packages, so it is the same name.
                Next();
                if (Current.Kind != TokenKind.Identifier)
                {
                    throw new SyntaxErrorException(Current.Position, $"expected a name after '.' but found {Describe(Current)}");
                }

                return ParseIdentifier();
            case TokenKind.Punctuation when token.Text == "(":
                {
                    Next();
                    var inner = ParseExpression();
                    Expect(")", "to close the parenthesis");
                    return inner;
                }

            case TokenKind.Punctuation when token.Text == "[":
                return ParseList();
            case TokenKind.Punctuation when token.Text == "{":
                return ParseMap();
            case TokenKind.End:
                throw new SyntaxErrorException(token.Position, "unexpected end of expression");
            default:
                throw new SyntaxErrorException(token.Position, $"unexpected {Describe(token)}");
        }
    }

    private Syntax ParseIdentifier()
    {
        var token = Next();
        switch (token.Text)
        {
            case "true":
                return Node(new LiteralSyntax(token.Position, Values.True));
            case "false":
                return Node(new LiteralSyntax(token.Position, Values.False));
            case "null":
                return Node(new LiteralSyntax(token.Position, null));
            case "in":
                throw new SyntaxErrorException(token.Position, "unexpected 'in'");
        }

        return At("(")
            ? Node(new CallSyntax(token.Position, null, token.Text, ParseArguments()))
            : Node(new IdentifierSyntax(token.Position, token.Text));
    }

    private ListSyntax ParseList()
    {
        var open = Next();
        var items = new List<Syntax>();
        while (!At("]"))
        {
            items.Add(ParseExpression());
            if (!At(","))
            {
                break;
            }

            Next();
        }

        Expect("]", "to close the list");
        return Node(new ListSyntax(open.Position, [.. items]));
    }

    private MapSyntax ParseMap()
    {
        var open = Next();
        var keys = new List<Syntax>();
        var values = new List<Syntax>();
        while (!At("}"))
        {
            keys.Add(ParseExpression());
            Expect(":", "after a map key");
            values.Add(ParseExpression());
            if (!At(","))
            {
                break;
            }

            Next();
        }

        Expect("}", "to close the map");
        return Node(new MapSyntax(open.Position, [.. keys], [.. values]));
    }
}
