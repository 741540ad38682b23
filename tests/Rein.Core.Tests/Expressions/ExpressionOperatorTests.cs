namespace Rein.Core.Tests.Expressions;

public sealed class ExpressionOperatorTests
{
    public static TheoryData<string, object?> Values => new()
    {
        // literals
        { "42", 42L },
        { "0x2A", 42L },
        { "-9223372036854775808", long.MinValue },
        { "9223372036854775807", long.MaxValue },
        { "1.5", 1.5 },
        { "1e3", 1000.0 },
        { "2.5E-1", 0.25 },
        { ".5", 0.5 },
        { "-1.5", -1.5 },
        { "true", true },
        { "false", false },
        { "null", null },
        { "'single'", "single" },
        { "\"double\"", "double" },
        { "'''tri'ple'''", "tri'ple" },
        { "\"\"\"two\nlines\"\"\"", "two\nlines" },
        { @"'a\nb\t\\\""\''", "a\nb\t\\\"'" },
        { @"'\u0041\x41\101\U0001F600'", "AAA\U0001F600" },
        { @"r'\d+\n'", @"\d+\n" },
        { @"R""raw\""", @"raw\" },
        { "[1, 'a', true]", new object?[] { 1L, "a", true } },
        { "[1, 2,]", new object?[] { 1L, 2L } },
        { "[]", Array.Empty<object?>() },
        { "{'a': 1, 'b': [2]}", new Dictionary<string, object?> { ["a"] = 1L, ["b"] = new object?[] { 2L } } },
        { "{}", new Dictionary<string, object?>() },
        { "{'k' + 'ey': args.amount}", new Dictionary<string, object?> { ["key"] = 120L } },
        { "[args.amount, 1]", new object?[] { 120L, 1L } },
        // arithmetic
        { "1 + 2 * 3", 7L },
        { "(1 + 2) * 3", 9L },
        { "7 / 2", 3L },
        { "-7 / 2", -3L },
        { "7 % 3", 1L },
        { "-7 % 3", -1L },
        { "1.5 + 2.25", 3.75 },
        { "1.0 / 4.0", 0.25 },
        { "1.0 / 0.0", double.PositiveInfinity },
        { "3.0 * 2.0 - 1.0", 5.0 },
        { "-args.amount", -120L },
        { "- -1", 1L },
        { "'ab' + 'cd'", "abcd" },
        { "[1] + [2, 3]", new object?[] { 1L, 2L, 3L } },
        { "duration('1h') + duration('30m')", TimeSpan.FromMinutes(90) },
        { "duration('1h') - duration('30m')", TimeSpan.FromMinutes(30) },
        { "timestamp('2026-01-01T00:00:00Z') + duration('1h')", new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.Zero) },
        { "duration('1h') + timestamp('2026-01-01T00:00:00Z')", new DateTimeOffset(2026, 1, 1, 1, 0, 0, TimeSpan.Zero) },
        { "timestamp('2026-01-01T00:00:00Z') - duration('1h')", new DateTimeOffset(2025, 12, 31, 23, 0, 0, TimeSpan.Zero) },
        { "timestamp('2026-01-02T00:00:00Z') - timestamp('2026-01-01T00:00:00Z')", TimeSpan.FromDays(1) },
        // logic
        { "!true", false },
        { "!!true", true },
        { "true && false", false },
        { "true || false", true },
        { "false || false", false },
        { "true && true", true },
        { "true ? 1 : 2", 1L },
        { "false ? 1 : 2", 2L },
        { "1 < 2 ? 'a' : 'b'", "a" },
        { "false ? 1 : true ? 2 : 3", 2L },
        // relations
        { "1 == 1", true },
        { "1 == 1.0", true },
        { "1.0 == 1", true },
        { "1 == 1.5", false },
        { "1 != 1.5", true },
        { "1 == '1'", false },
        { "1 != '1'", true },
        { "null == null", true },
        { "null == 0", false },
        { "args.note == null", true },
        { "[1, 2] == [1, 2.0]", true },
        { "[1, 2] == [2, 1]", false },
        { "{'a': 1} == {'a': 1}", true },
        { "{'a': 1} == {'a': 2}", false },
        { "'a' == 'a'", true },
        { "true == true", true },
        { "duration('60s') == duration('1m')", true },
        { "timestamp('2026-01-01T01:00:00+01:00') == timestamp('2026-01-01T00:00:00Z')", true },
        { "1 < 2", true },
        { "2 <= 2", true },
        { "3 > 2.5", true },
        { "2.5 >= 3", false },
        // 9223372036854775806.0 is 2^63 as a double: compared exactly, not after converting the int.
        { "9223372036854775807 < 9223372036854775806.0", true },
        { "'a' < 'b'", true },
        { "'b' <= 'a'", false },
        { "'\uFFFF' < '\U0001F600'", true },
        { "false < true", true },
        { "duration('1m') < duration('1h')", true },
        { "timestamp('2026-01-01T00:00:00Z') < now", true },
        { "0.0 / 0.0 < 1.0", false },
        { "0.0 / 0.0 == 0.0 / 0.0", false },
        { "1 in [1, 2]", true },
        { "3 in [1, 2]", false },
        { "1.0 in [1, 2]", true },
        { "'b' in ['a', 'b']", true },
        { "'c' in ['a', 'b']", false },
        { "1 in ['a', 'b']", false },
        { "'amount' in args", true },
        { "'missing' in args", false },
        { "'steps' in run", true },
        { "'admin' in principal.roles", true },
        // selection and indexing
        { "args.amount", 120L },
        { "args['amount']", 120L },
        { "args.to[1]", "b@example.com" },
        { "args.to[1.0]", "b@example.com" },
        { "args.nested.deep.x", 1L },
        { "args.nested['deep']['x']", 1L },
        { "run.steps", 12L },
        { "run.tool_calls['crm.export']", 1L },
        { "run.calls[1].tool", "crm.export" },
        { "has(args.amount)", true },
        { "has(args.missing)", false },
        { "has(args.nested.deep)", true },
        { "has(run.steps)", true },
        { "has(run.nothing)", false },
        { ".args.amount", 120L },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Evaluate_Expression_GivesValue(string source, object? expected)
    {
        Cel.AssertValue(expected, Cel.Value(source));
    }

    public static TheoryData<string, string> Errors => new()
    {
        { "1 + 1.0", "no such overload: _+_ (int, double)" },
        { "'a' + 1", "no such overload: _+_ (string, int)" },
        { "1 - 'a'", "no such overload: _-_ (int, string)" },
        { "2 * 1.5", "no such overload: _*_ (int, double)" },
        { "1.5 / 2", "no such overload: _/_ (double, int)" },
        { "5.0 % 2.0", "no such overload: _%_ (double, double)" },
        { "-'a'", "no such overload: -_ (string)" },
        { "!1", "no such overload: !_ (int)" },
        { "9223372036854775807 + 1", "integer overflow" },
        { "-9223372036854775808 - 1", "integer overflow" },
        { "9223372036854775807 * 2", "integer overflow" },
        { "-9223372036854775808 / -1", "integer overflow" },
        { "-(-9223372036854775808)", "integer overflow" },
        { "1 / 0", "division by zero" },
        { "1 % 0", "modulus by zero" },
        { "1 < 'a'", "no such overload: _<_ (int, string)" },
        { "[1] < [2]", "no such overload: _<_ (list, list)" },
        { "null > 1", "no such overload: _>_ (null_type, int)" },
        { "1 in 1", "no such overload: @in (int, int)" },
        { "1 ? 2 : 3", "no such overload: _?_:_ (int)" },
        { "args.missing", "no such key: 'missing'" },
        { "args['missing']", "no such key: 'missing'" },
        { "run.nothing", "no such key: 'nothing'" },
        { "args.amount.x", "cannot select field 'x' from int" },
        { "has(args.amount.x)", "no such overload: has (int)" },
        { "has(args.missing.x)", "no such key: 'missing'" },
        { "args.to[2]", "index 2 out of range for a list of size 2" },
        { "args.to[-1]", "index -1 out of range" },
        { "args.to['a']", "no such overload: _[_] (list, string)" },
        { "args[1]", "no such key: 1" },
        { "1 && true", "no such overload: _&&_ (int, bool)" },
        { "true && 1", "no such overload: _&&_ (bool, int)" },
        { "false || 'x'", "no such overload: _||_ (bool, string)" },
        { "{args.currency: 1, 'EUR': 2}", "duplicate map key 'EUR'" },
        { "{args.amount: 1}", "map keys must be strings, not int" },
        { "timestamp('9999-12-31T23:00:00Z') + duration('2h')", "timestamp out of range" },
        { "duration('1h') - timestamp('2026-01-01T00:00:00Z')", "no such overload: _-_ (duration, timestamp)" },
        { "[args.missing]", "no such key" },
        { "run.explodes", "evaluation failed: field failed" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Evaluate_Expression_GivesError(string source, string error)
    {
        Assert.Contains(error, Cel.Error(source), StringComparison.Ordinal);
    }

    public static TheoryData<string, bool?> Absorption => new()
    {
        // && and || decide on one side even when the other is an error, in either order (CEL commutativity).
        { "false && args.missing", false },
        { "args.missing && false", false },
        { "true || args.missing", true },
        { "args.missing || true", true },
        { "args.missing && true", null },
        { "true && args.missing", null },
        { "args.missing || false", null },
        { "false || args.missing", null },
        { "1 && false", false },
        { "'x' || true", true },
        { "args.missing == 1 && false", false },
        { "[1, 'a', 2].all(x, x > 1)", false },
        { "['a', 1].all(x, x > 0)", null },
        { "[1, 'a'].exists(x, x == 1)", true },
        { "['a', 1].exists(x, x > 0)", true },
        { "['a', 0].exists(x, x > 0)", null },
        { "[args, 1].all(x, x.missing)", null },
        { "[0, args].all(x, x > 0)", false },
    };

    [Theory]
    [MemberData(nameof(Absorption))]
    public void Evaluate_ErrorBesideDecidingValue_IsAbsorbed(string source, bool? expected)
    {
        var result = Cel.Evaluate(source);
        if (expected is null)
        {
            Assert.True(result.IsError, $"{source} should be an error");
        }
        else
        {
            Assert.Null(result.Error);
            Assert.Equal(expected, result.Value);
        }
    }

    [Fact]
    public void Evaluate_ErrorsOnBothSides_GivesTheLeftError()
    {
        Assert.Equal("no such key: 'a'", Cel.Error("args.a && args.b"));
        Assert.Equal("no such key: 'a'", Cel.Error("args.a || args.b"));
    }

    [Fact]
    public void Evaluate_ConditionalWithErrorInUntakenBranch_GivesTakenBranch()
    {
        Assert.Equal(1L, Cel.Value("true ? 1 : args.missing"));
        Assert.Equal("no such key: 'missing'", Cel.Error("args.missing ? 1 : 2"));
    }

    [Fact]
    public void Evaluate_ConstantList_CannotBeChangedByTheCaller()
    {
        var compiled = Cel.Compile("[1, 2]");
        var first = compiled.Evaluate(Cel.Variables()).Value;
        Assert.False(first is object?[], "a constant list must not be handed out as a mutable array");
        Assert.Throws<NotSupportedException>(() => ((IList<object?>)first!)[0] = 5L);
    }
}
