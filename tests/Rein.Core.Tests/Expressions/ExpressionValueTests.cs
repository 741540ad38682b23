using Rein.Core.Expressions;

namespace Rein.Core.Tests.Expressions;

public sealed class ExpressionValueTests
{
    [Fact]
    public void FromJson_Values_BecomeExpressionValues()
    {
        var value = Cel.Json("""{"i": 1, "big": 9223372036854775807, "huge": 9223372036854775808, "d": 1.5, "whole": 1.0, "e": 1e3, "s": "x", "t": true, "f": false, "n": null, "a": [1, "b"], "o": {"k": {}}}""");

        var map = Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(value);
        Assert.Equal(1L, map["i"]);
        Assert.Equal(long.MaxValue, map["big"]);
        Assert.Equal(9223372036854775808.0, map["huge"]);
        Assert.Equal(1.5, map["d"]);
        Assert.Equal(1.0, map["whole"]);
        Assert.Equal(1000.0, map["e"]);
        Assert.Equal("x", map["s"]);
        Assert.Equal(true, map["t"]);
        Assert.Equal(false, map["f"]);
        Assert.Null(map["n"]);
        Assert.Equal(new object?[] { 1L, "b" }, Assert.IsAssignableFrom<IReadOnlyList<object?>>(map["a"]));
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(map["o"])["k"]));
    }

    public static TheoryData<object?, string> Printed => new()
    {
        { null, "null" },
        { true, "true" },
        { false, "false" },
        { 42L, "42" },
        { -7L, "-7" },
        { 1.5, "1.5" },
        { 2.0, "2" },
        { 0.1, "0.1" },
        { 1e21, "1E+21" },
        { "as is \"quoted\"", "as is \"quoted\"" },
        { new object?[] { 1L, "a", null, 2.5 }, "[1, \"a\", null, 2.5]" },
        { new object?[] { new object?[] { "x\n" } }, "[[\"x\\n\"]]" },
        { new Dictionary<string, object?> { ["k"] = 1L, ["s"] = "v" }, "{\"k\": 1, \"s\": \"v\"}" },
        { new DateTimeOffset(2026, 11, 21, 14, 30, 0, TimeSpan.FromHours(2)), "2026-11-21T12:30:00Z" },
        { new DateTimeOffset(2026, 11, 21, 14, 30, 0, 5, TimeSpan.Zero), "2026-11-21T14:30:00.005Z" },
        { TimeSpan.FromSeconds(90), "90s" },
        { TimeSpan.FromMilliseconds(-1500), "-1.5s" },
        { TimeSpan.FromTicks(1), "0.0000001s" },
        { 7, "7" },
    };

    [Theory]
    [MemberData(nameof(Printed))]
    public void Format_Value_PrintsLikeCel(object? value, string expected)
    {
        Assert.Equal(expected, Expression.Format(value));
    }

    [Fact]
    public void Format_ObjectAndDeepNesting_DoNotThrow()
    {
        object? deep = 1L;
        for (var i = 0; i < 1000; i++)
        {
            deep = new object?[] { deep };
        }

        Assert.Equal("<object>", Expression.Format(new SampleRun()));
        Assert.Equal(new string('[', 65) + "..." + new string(']', 65), Expression.Format(deep));
    }

    [Fact]
    public void Evaluate_VariablesOfOtherDotNetTypes_AreConverted()
    {
        var compiled = Expression.Compile("a + 1 == 3 && b == 1.5 && c.getFullYear() == 2026 && d[0] == 'x' && e.k == 2", new ExpressionEnvironment(["a", "b", "c", "d", "e"]));

        var result = compiled.Evaluate([2, 1.5f, new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), new[] { "x" }, new Dictionary<string, object?> { ["k"] = (short)2 }]);

        Assert.Null(result.Error);
        Assert.Equal(true, result.Value);
    }

    [Fact]
    public void Evaluate_ConcurrentCalls_GiveTheSameAnswer()
    {
        var compiled = Cel.Compile("principal.roles.exists(r, r == 'admin') && args.to.map(t, t.size()).all(n, n > 3)");

        Parallel.For(0, 10_000, _ => Assert.Equal(true, compiled.Evaluate(Cel.Variables()).Value));
    }

    [Fact]
    public void Evaluate_EqualityOfVeryDeepValues_DoesNotOverflowTheStack()
    {
        object? Deep()
        {
            object? value = 1L;
            for (var i = 0; i < 1_000_000; i++)
            {
                value = new object?[] { value };
            }

            return value;
        }

        var compiled = Expression.Compile("a == b", new ExpressionEnvironment(["a", "b"]));
        var same = Deep();

        Assert.Equal(false, compiled.Evaluate([Deep(), Deep()]).Value);
        Assert.Equal(true, compiled.Evaluate([same, same]).Value);
    }
}
