using System.Diagnostics;
using Rein.Core.Expressions;

namespace Rein.Core.Tests.Expressions;

public sealed class ExpressionLimitsTests
{
    [Fact]
    public void MaxSourceLength_LongerSource_IsAProblem()
    {
        var atLimit = "'" + new string('a', ExpressionLimits.Default.MaxSourceLength - 2) + "'";
        Assert.Equal(ExpressionLimits.Default.MaxSourceLength, atLimit.Length);
        Cel.Compile(atLimit);

        var problem = Assert.Single(Cel.Problems(atLimit + " "));
        Assert.Equal("expression is 4097 characters long; the limit is 4096", problem.Message);
    }

    [Fact]
    public void MaxNodes_MoreNodes_IsAProblem()
    {
        var limits = Cel.Limits with { MaxNodes = 10 };
        Cel.Compile("[1, 2, 3, 4, 5, 6, 7, 8, 9]", limits);

        var problem = Assert.Single(Cel.Problems("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]", limits));
        Assert.Contains("more than 10 nodes", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxNodes_Default_StopsALongSum()
    {
        var source = string.Join("+", Enumerable.Repeat("1", 1001));

        var problem = Assert.Single(Cel.Problems(source, Cel.Limits with { MaxDepth = 5000 }));
        Assert.Contains("nodes", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("(", ")")]
    [InlineData("[", "]")]
    [InlineData("{'a': ", "}")]
    [InlineData("!", "")]
    [InlineData("-", "")]
    [InlineData("size(", ")")]
    [InlineData("true ? 1 : ", "")]
    [InlineData("[1].all(x, ", ")")]
    public void MaxDepth_TenThousandNestedLevels_IsAProblemNotAStackOverflow(string open, string close)
    {
        var source = string.Concat(Enumerable.Repeat(open, 10_000)) + "true" + string.Concat(Enumerable.Repeat(close, 10_000));
        var limits = Cel.Limits with { MaxSourceLength = source.Length };

        var problem = Assert.Single(Cel.Problems(source, limits));
        Assert.Contains("nests more than 48 levels deep", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxDepth_HugeLimit_StillGivesAProblemWhenTheStackRunsShort()
    {
        var source = new string('(', 200_000) + "1" + new string(')', 200_000);
        var limits = Cel.Limits with { MaxSourceLength = source.Length, MaxDepth = int.MaxValue, MaxNodes = int.MaxValue };

        var problem = Assert.Single(Cel.Problems(source, limits));
        Assert.Contains("levels deep", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxDepth_LongSelectionChain_IsAProblem()
    {
        var source = "args" + string.Concat(Enumerable.Repeat(".a", 60));

        Assert.Contains("levels deep", Assert.Single(Cel.Problems(source)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxDepth_LongChainOfConditions_IsBalancedAndCompiles()
    {
        var source = string.Join(" && ", Enumerable.Range(0, 300).Select(i => $"args.amount != {i}"));
        var limits = Cel.Limits with { MaxSourceLength = 10_000, MaxNodes = 2000 };

        Assert.Equal(false, Cel.Evaluate(source, limits).Value);
        Assert.Equal(true, Cel.Evaluate(source.Replace("&&", "||", StringComparison.Ordinal), limits).Value);
    }

    [Fact]
    public void MaxDepth_NestingAtTheLimit_Compiles()
    {
        var limits = Cel.Limits with { MaxDepth = 10 };

        Assert.Equal(1L, Cel.Evaluate("-(-(-(-(-(-(-(-(-(-1)))))))))", limits).Value);
        Assert.Contains("levels deep", Assert.Single(Cel.Problems("-(-(-(-(-(-(-(-(-(-(-1))))))))))", limits)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxDepth_OperatorsWithoutParentheses_AreCountedByTreeHeight()
    {
        var limits = Cel.Limits with { MaxDepth = 10 };

        Assert.Equal(true, Cel.Evaluate(new string('!', 8) + "true", limits).Value);
        Assert.Equal(false, Cel.Evaluate(new string('!', 9) + "true", limits).Value);
        Assert.Contains("levels deep", Assert.Single(Cel.Problems(new string('!', 10) + "true", limits)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxCost_NestedMacros_AreAProblemThatNamesTheCost()
    {
        var problem = Assert.Single(Cel.Problems("args.to.all(a, args.to.all(b, args.to.all(c, a == b)))"));

        Assert.Matches(@"^expression cost \d+ exceeds the limit 1000000$", problem.Message);
        Assert.Equal("1:1", $"{problem.Line}:{problem.Column}");
    }

    [Fact]
    public void MaxCost_Estimate_IsExposedAndMacrosMultiplyTheirBody()
    {
        // args.amount (2) > 50 (1): 4 nodes.
        Assert.Equal(4, Cel.Compile("args.amount > 50").Cost);
        // principal.roles (2) + 1000 iterations of (1 + r == 'admin' (3)).
        Assert.Equal(4002, Cel.Compile("principal.roles.exists(r, r == 'admin')").Cost);
        // A string function is charged for an assumed string of AssumedCollectionSize characters (one unit per ten).
        Assert.Equal(1 + 2 + 1 + 100, Cel.Compile("tool.name.startsWith('crm.')").Cost);
        var small = Cel.Limits with { AssumedCollectionSize = 10 };
        Assert.Equal(2 + (10 * (1 + 1 + (10 * (1 + 3)))), Expression.Compile("args.to.all(a, a.all(b, b == 1))", Cel.Environment, small).Cost);
    }

    [Fact]
    public void MaxCost_LowerLimit_RejectsAnOtherwiseFineExpression()
    {
        var limits = Cel.Limits with { MaxCost = 3 };

        Assert.Equal("expression cost 4 exceeds the limit 3", Assert.Single(Cel.Problems("args.amount > 50", limits)).Message);
    }

    [Fact]
    public void MaxIterations_MoreIterations_IsAnError()
    {
        var limits = Cel.Limits with { MaxIterations = 10 };

        Assert.Equal(true, Cel.Evaluate("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].all(x, x > 0)", limits).Value);
        Assert.Equal("expression ran more than 10 iterations", Cel.Evaluate("[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].all(x, x > 0)", limits).Error);
    }

    [Fact]
    public void MaxIterations_CountsEveryMacroOfOneEvaluation()
    {
        var limits = Cel.Limits with { MaxIterations = 10 };
        var compiled = Cel.Compile("[1, 2, 3, 4, 5, 6].map(x, x).size() + [1, 2, 3, 4, 5].map(x, x).size()", limits);

        Assert.Contains("iterations", compiled.Evaluate(Cel.Variables()).Error, StringComparison.Ordinal);
        Assert.Contains("iterations", compiled.Evaluate(Cel.Variables()).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxIterations_ErrorIsNotAbsorbedByExists()
    {
        var limits = Cel.Limits with { MaxIterations = 2 };

        Assert.Contains("iterations", Cel.Evaluate("[0, 0, 0, 1].exists(x, x == 1)", limits).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void MaxResultLength_LongerString_IsAnError()
    {
        var limits = Cel.Limits with { MaxResultLength = 10 };

        Assert.Equal("aaaaabbbbb", Cel.Evaluate("'aaaaa' + 'bbbbb'", limits).Value);
        Assert.Equal("string longer than 10", Cel.Evaluate("'aaaaa' + 'bbbbbb'", limits).Error);
    }

    [Fact]
    public void MaxResultLength_LongerList_IsAnError()
    {
        var limits = Cel.Limits with { MaxResultLength = 3 };

        Assert.Equal("list longer than 3", Cel.Evaluate("[1, 2] + [3, 4]", limits).Error);
        Assert.Equal("list longer than 3", Cel.Evaluate("[1, 2, 3, 4].map(x, x)", limits).Error);
        Assert.Equal("list longer than 3", Cel.Evaluate("[1, 2, 3, 4].filter(x, true)", limits).Error);
        Assert.Equal(3L, Cel.Evaluate("[1, 2, 3, 4].filter(x, x > 1).size()", limits).Value);
    }

    [Fact]
    public void MaxResultLength_Default_StopsDoublingAString()
    {
        // Each step doubles a 32-character string: 12 steps make 131,072 characters, past the default 65,536.
        var doubling = "'xxxxxxxxxxxxxxxx' + 'xxxxxxxxxxxxxxxx'";
        for (var i = 0; i < 12; i++)
        {
            doubling = $"[{doubling}].map(s, s + s)[0]";
        }

        Assert.Equal("string longer than 65536", Cel.Evaluate(doubling).Error);
    }

    [Fact]
    public void MaxRegexLength_LongerConstantPattern_IsAProblem()
    {
        var limits = Cel.Limits with { MaxRegexLength = 5 };
        Cel.Compile("'a'.matches('aaaaa')", limits);

        var problem = Assert.Single(Cel.Problems("'a'.matches('aaaaaa')", limits));
        Assert.Equal("regular expression is 6 characters long; the limit is 5", problem.Message);
        Assert.Equal(13, problem.Column);
    }

    [Fact]
    public void MaxRegexLength_LongerComputedPattern_IsAnError()
    {
        var limits = Cel.Limits with { MaxRegexLength = 5 };

        Assert.Equal(false, Cel.Evaluate("'aaa'.matches('a' + 'aaaa')", limits).Value);
        Assert.Equal("regular expression longer than 5 characters", Cel.Evaluate("'a'.matches('a' + 'aaaaa')", limits).Error);
    }

    [Fact]
    public void RegexTimeout_CatastrophicPattern_FinishesQuicklyWithoutBacktracking()
    {
        // A backtracking engine takes exponential time here; the non-backtracking one is linear in the input.
        var compiled = Cel.Compile("args.text.matches('(a+)+$')", Cel.Limits with { RegexTimeout = TimeSpan.FromSeconds(10) });
        var variables = Cel.Variables();
        variables[2] = new Dictionary<string, object?> { ["text"] = new string('a', 50_000) + "!" };

        var watch = Stopwatch.StartNew();
        var result = compiled.Evaluate(variables);

        Assert.Null(result.Error);
        Assert.Equal(false, result.Value);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(2), $"took {watch.Elapsed}");
    }

    [Fact]
    public void RegexTimeout_SlowMatch_IsAnError()
    {
        var limits = Cel.Limits with { RegexTimeout = TimeSpan.FromTicks(1) };
        var compiled = Expression.Compile("args.text.matches('(a|b|ab)*c[a-z]{1,20}z')", Cel.Environment, limits);
        var variables = Cel.Variables();
        variables[2] = new Dictionary<string, object?> { ["text"] = string.Concat(Enumerable.Repeat("ab", 2_000_000)) };

        var result = compiled.Evaluate(variables);

        Assert.Equal("regular expression took longer than 0.0001 ms (RegexTimeout)", result.Error);
    }
}
