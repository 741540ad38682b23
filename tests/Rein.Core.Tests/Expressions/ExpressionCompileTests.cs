using Rein.Core.Expressions;

namespace Rein.Core.Tests.Expressions;

public sealed class ExpressionCompileTests
{
    public static TheoryData<string, string, string> SyntaxErrors => new()
    {
        { "1 +", "1:4", "unexpected end of expression" },
        { "(1 + 2", "1:7", "expected ')' to close the parenthesis but found the end of the expression" },
        { "[1, 2", "1:6", "expected ']' to close the list" },
        { "{'a' 1}", "1:6", "expected ':' after a map key but found '1'" },
        { "f(1, 2", "1:7", "expected ')' to close the arguments" },
        { "args[1", "1:7", "expected ']' to close the index" },
        { "true ? 1", "1:9", "expected ':' in a conditional" },
        { "1 2", "1:3", "unexpected '2'; expected the end of the expression" },
        { "args{}", "1:5", "unexpected '{'" },
        { "args.", "1:6", "expected a field name after '.' but found the end of the expression" },
        { "args.'x'", "1:6", "expected a field name after '.' but found a string" },
        { "'abc", "1:1", "unterminated string" },
        { "'a\nb'", "1:1", "unterminated string (use triple quotes for several lines)" },
        { "'''abc''", "1:1", "unterminated string" },
        { "1 = 2", "1:3", "unexpected '='; use '==' to compare" },
        { "1 & 2", "1:3", "unexpected character '&'" },
        { "1 | 2", "1:3", "unexpected character '|'" },
        { "a # b", "1:3", "unexpected character '#'" },
        { "'ok' + \u0001", "1:8", "unexpected character U+0001" },
        { "1 + \U0001F600", "1:5", "unexpected character U+1F600" },
        { "if", "1:1", "'if' is a reserved word" },
        { "args.while", "1:6", "'while' is a reserved word" },
        { "b'abc'", "1:1", "bytes literals are not supported" },
        { "1u", "1:1", "unsigned integers are not supported" },
        { "12abc", "1:3", "unexpected character 'a' after a number" },
        { "9223372036854775808", "1:1", "integer literal out of range" },
        { "-9223372036854775809", "1:2", "integer literal out of range" },
        { "0xFFFFFFFFFFFFFFFFF", "1:1", "integer literal out of range" },
        { "0x", "1:1", "hexadecimal literal needs digits after 0x" },
        { "1e", "1:2", "exponent needs digits" },
        { "'\\q'", "1:2", "unknown escape sequence '\\q'" },
        { "'\\u12'", "1:2", "escape sequence needs 4 hexadecimal digits" },
        { "'\\xZZ'", "1:2", "escape sequence needs 2 hexadecimal digits" },
        { "'\\uD800'", "1:2", "not a valid Unicode code point" },
        { "'\\U00110000'", "1:2", "not a valid Unicode code point" },
        { "'\\18'", "1:2", "octal escape needs three digits" },
        { "'abc\\", "1:5", "unterminated escape sequence" },
        { "in", "1:1", "unexpected 'in'" },
        { ")", "1:1", "unexpected ')'" },
        { "", "1:1", "unexpected end of expression" },
        { "   ", "1:4", "unexpected end of expression" },
        { "!", "1:2", "unexpected end of expression" },
        { ".", "1:2", "expected a name after '.'" },
        { "args.amount >\n  50 &&\n   ]", "3:4", "unexpected ']'" },
        { "// only a comment", "1:18", "unexpected end of expression" },
    };

    [Theory]
    [MemberData(nameof(SyntaxErrors))]
    public void Compile_SyntaxError_IsReportedAtLineAndColumn(string source, string position, string message)
    {
        var problem = Assert.Single(Cel.Problems(source));

        Assert.Equal(position, $"{problem.Line}:{problem.Column}");
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_LoneSurrogate_IsNamedByItsCode()
    {
        // Not in the theory table: test data is serialized as UTF-8, which cannot carry a lone surrogate.
        var problem = Assert.Single(Cel.Problems("\uDC00 + 1"));

        Assert.Equal("1:1: unexpected character U+DC00", problem.ToString());
    }

    [Fact]
    public void Compile_ProblemOnFirstLine_IsShiftedByTheOriginLineAndColumn()
    {
        var problem = Assert.Single(Cel.Problems("args.amount > ", origin: new SourceOrigin(12, 11)));

        Assert.Equal(new ExpressionProblem("unexpected end of expression", 12, 25), problem);
        Assert.Equal("12:25: unexpected end of expression", problem.ToString());
    }

    [Fact]
    public void Compile_ProblemOnLaterLine_KeepsItsOwnColumn()
    {
        var problem = Assert.Single(Cel.Problems("args.amount > 50 &&\n    nope", origin: new SourceOrigin(12, 11)));

        Assert.Equal(13, problem.Line);
        Assert.Equal(5, problem.Column);
    }

    [Fact]
    public void Compile_Failure_ExceptionMessageIsTheFirstProblem()
    {
        var e = Assert.Throws<ExpressionCompileException>(() => Cel.Compile("nope"));

        Assert.StartsWith("1:1: unknown name 'nope'", e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> CheckErrors => new()
    {
        { "foo", "1:1", "unknown name 'foo'; known names are agent, tool, args, principal, context, run, now" },
        { "args.amount > limit", "1:15", "unknown name 'limit'" },
        { "size()", "1:1", "'size' takes 1 argument, not 0" },
        { "size(1, 2)", "1:1", "'size' takes 1 argument, not 2" },
        { "'a'.size(1)", "1:5", "'size' takes 0 arguments, not 1" },
        { "'a'.startsWith()", "1:5", "'startsWith' takes 1 argument, not 0" },
        { "'a'.lowerAscii('b')", "1:5", "'lowerAscii' takes 0 arguments, not 1" },
        { "int(1, 2)", "1:1", "'int' takes 1 argument, not 2" },
        { "matches('a')", "1:1", "'matches' takes 2 arguments, not 1" },
        { "now.getHours('UTC', 1)", "1:5", "'getHours' takes 0 or 1 arguments (a time zone), not 2" },
        { "nosuch(1)", "1:1", "unknown function 'nosuch'" },
        { "'a'.nosuch()", "1:5", "unknown function 'nosuch'" },
        { "'a'.int()", "1:5", "unknown function 'int'" },
        { "contains('a', 'b')", "1:1", "unknown function 'contains'" },
        { "[1].all(1, true)", "1:9", "the first argument of 'all' must be a name for each element" },
        { "[1].exists(x.y, true)", "1:14", "the first argument of 'exists' must be a name" },
        { "[1].all(x)", "1:5", "'all' takes 2 arguments, not 1" },
        { "[1].exists_one(x, x, x)", "1:5", "'exists_one' takes 2 arguments, not 3" },
        { "[1].map(x, x, x, x)", "1:5", "'map' takes 2 or 3 arguments, not 4" },
        { "[1].filter()", "1:5", "'filter' takes 2 arguments, not 0" },
        { "all([1], x)", "1:1", "'all' is a macro called on a list or map" },
        { "has(args)", "1:1", "has() takes one field selection, such as has(a.b)" },
        { "has(args.a, args.b)", "1:1", "has() takes one field selection" },
        { "x.all(x, x)", "1:1", "unknown name 'x'" },
        { "[1].all(x, y)", "1:12", "unknown name 'y'" },
        { "[1].all(x, x) && x", "1:18", "unknown name 'x'" },
        { "called('x')", "1:1", "'called' is called on a value, as x.called(...)" },
        { "run.twice(1)", "1:5", "'twice' is not called on a value; write twice(...)" },
        { "twice(1, 2)", "1:1", "'twice' takes 1 argument, not 2" },
        { "run.called()", "1:5", "'called' takes 1 argument, not 0" },
        { "'a'.matches('(')", "1:13", "invalid regular expression" },
        { "'a'.matches('(a)\\\\1')", "1:13", "regular expression not supported" },
        { "matches('a', '[')", "1:14", "invalid regular expression" },
        { "{1: 'a'}", "1:2", "map keys must be strings in Rein's expressions, not int" },
        { "{true: 'a'}", "1:2", "map keys must be strings in Rein's expressions, not bool" },
        { "{'a': 1, 'a': 2}", "1:10", "duplicate map key 'a'" },
    };

    [Theory]
    [MemberData(nameof(CheckErrors))]
    public void Compile_CheckError_IsReportedAtLineAndColumn(string source, string position, string message)
    {
        var problem = Cel.Problems(source)[0];

        Assert.Equal(position, $"{problem.Line}:{problem.Column}");
        Assert.Contains(message, problem.Message, StringComparison.Ordinal);
    }

    private const string Known = "known names are agent, tool, args, principal, context, run, now";

    [Fact]
    public void Compile_SeveralProblems_AreAllReported()
    {
        var problems = Cel.Problems("foo(1) + bar + size() + [1].all(2, baz)");

        Assert.Equal(
            ["1:1: unknown function 'foo'", $"1:10: unknown name 'bar'; {Known}", "1:16: 'size' takes 1 argument, not 0", "1:33: the first argument of 'all' must be a name for each element, as list.all(x, ...)", $"1:36: unknown name 'baz'; {Known}"],
            problems.Select(p => p.ToString()));
    }

    [Fact]
    public void Compile_IterationVariable_ShadowsAVariableOnlyInsideTheMacro()
    {
        Cel.AssertValue(new object?[] { 2L }, Cel.Value("[1].map(args, args + 1)"));
        Assert.Equal(120L, Cel.Value("[1].map(args, args)[0] + args.amount - 1"));
    }

    [Fact]
    public void Compile_EmptyEnvironment_SaysThereAreNoNames()
    {
        var e = Assert.Throws<ExpressionCompileException>(() => Expression.Compile("x", new ExpressionEnvironment([])));

        Assert.Equal("unknown name 'x'; there are none", e.Problems[0].Message);
    }

    public static TheoryData<string, string[]> SelectionCases => new()
    {
        { "args.amount > 50", ["args.amount"] },
        { "run.cost > 1.0 && run.steps < 3", ["run.cost", "run.steps"] },
        { "size(args) > 1", ["args"] },
        { "args['amount'] > 1", ["args.amount"] },
        { "args.to[0] == 'x'", ["args.to"] },
        { "args[tool.name]", ["args", "tool.name"] },
        { "has(args.nested.deep)", ["args.nested.deep"] },
        { "principal.roles.exists(r, r == 'admin')", ["principal.roles"] },
        { "[1].exists(args, args.x == 1)", [] },
        { "run.called('x')", ["run"] },
        { "agent.name + agent.name", ["agent.name"] },
        { "1 + 2", [] },
    };

    [Theory]
    [MemberData(nameof(SelectionCases))]
    public void Selections_Expression_ListsTheVariablePathsItReads(string source, string[] expected)
    {
        Assert.Equal(expected.Order(StringComparer.Ordinal), Cel.Compile(source).Selections.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Compile_Source_IsKept()
    {
        Assert.Equal("args.amount > 50", Cel.Compile("args.amount > 50").Source);
    }

    [Fact]
    public void Evaluate_TooFewVariables_IsAnErrorResult()
    {
        var compiled = Cel.Compile("1 + 1");

        Assert.Equal("expected 7 variables, got 2", compiled.Evaluate([null, null]).Error);
        Assert.Equal("expected 7 variables, got 0", compiled.Evaluate(null!).Error);
    }
}
