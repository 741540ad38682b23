using Rein.Core.Expressions;

namespace Rein.Core.Tests.Expressions;

public sealed class ExpressionFunctionTests
{
    public static TheoryData<string, object?> Values => new()
    {
        // size, as a function and a method, counts code points
        { "size('abc')", 3L },
        { "'abc'.size()", 3L },
        { "size('\U0001F600x')", 2L },
        { "size('')", 0L },
        { "size(args.to)", 2L },
        { "args.to.size()", 2L },
        { "size(args)", 7L },
        { "size({})", 0L },
        // string methods
        { "'hello'.contains('ell')", true },
        { "'hello'.contains('xyz')", false },
        { "'hello'.contains('')", true },
        { "'hello'.startsWith('he')", true },
        { "'hello'.startsWith('lo')", false },
        { "'hello'.endsWith('lo')", true },
        { "'hello'.endsWith('he')", false },
        { "'Hello'.startsWith('h')", false },
        { "'MiXeD Ünï'.lowerAscii()", "mixed Ünï" },
        { "'MiXeD ünï'.upperAscii()", "MIXED üNï" },
        { "'abc'.matches('^a.c$')", true },
        { "'abc'.matches('b')", true },
        { "'abc'.matches('^b')", false },
        { "matches('abc', 'a+')", true },
        { "'crm.export'.matches(r'^crm\\.(export|dump)$')", true },
        { "'x'.matches(args.currency)", false },
        { "tool.name.matches('^' + tool.server + '\\\\.')", true },
        // conversions
        { "int(42)", 42L },
        { "int(3.9)", 3L },
        { "int(-3.9)", -3L },
        { "int('-17')", -17L },
        { "int(timestamp('1970-01-01T00:01:00Z'))", 60L },
        { "double(2)", 2.0 },
        { "double('2.5')", 2.5 },
        { "double('1e3')", 1000.0 },
        { "double(1.5)", 1.5 },
        { "string(120)", "120" },
        { "string(-1)", "-1" },
        { "string(1.5)", "1.5" },
        { "string(2.0)", "2" },
        { "string(0.1)", "0.1" },
        { "string(true)", "true" },
        { "string('s')", "s" },
        { "string(timestamp('2026-11-21T14:30:15.25+01:00'))", "2026-11-21T13:30:15.25Z" },
        { "string(duration('90s'))", "90s" },
        { "string(duration('1h30m'))", "5400s" },
        { "string(duration('100ms'))", "0.1s" },
        { "string(duration('-5m'))", "-300s" },
        { "bool('true')", true },
        { "bool('false')", false },
        { "dyn(1) == 1.0", true },
        { "timestamp('2026-01-01T00:00:00Z')", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) },
        { "timestamp('2026-01-01t10:00:00.123456789-05:00')", new DateTimeOffset(2026, 1, 1, 15, 0, 0, TimeSpan.Zero).AddTicks(1234567) },
        { "timestamp(60)", new DateTimeOffset(1970, 1, 1, 0, 1, 0, TimeSpan.Zero) },
        { "duration('1h30m')", TimeSpan.FromMinutes(90) },
        { "duration('90s')", TimeSpan.FromSeconds(90) },
        { "duration('1.5h')", TimeSpan.FromMinutes(90) },
        { "duration('-5m')", TimeSpan.FromMinutes(-5) },
        { "duration('100ms')", TimeSpan.FromMilliseconds(100) },
        { "duration('1us')", TimeSpan.FromTicks(10) },
        { "duration('1500ns')", TimeSpan.FromTicks(15) },
        { "duration('0')", TimeSpan.Zero },
        { "duration('2h45m30.5s')", new TimeSpan(0, 2, 45, 30, 500) },
        // timestamp accessors (now is 2026-11-21T14:30:15.250Z, a Saturday)
        { "now.getFullYear()", 2026L },
        { "now.getMonth()", 10L },
        { "now.getDayOfMonth()", 20L },
        { "now.getDate()", 21L },
        { "now.getDayOfWeek()", 6L },
        { "now.getDayOfYear()", 324L },
        { "now.getHours()", 14L },
        { "now.getMinutes()", 30L },
        { "now.getSeconds()", 15L },
        { "now.getMilliseconds()", 250L },
        { "now.getHours('UTC')", 14L },
        { "now.getHours('America/New_York')", 9L },
        { "now.getHours('Asia/Kolkata')", 20L },
        { "now.getMinutes('Asia/Kolkata')", 0L },
        { "now.getHours('+05:30')", 20L },
        { "now.getHours('-08:00')", 6L },
        { "timestamp('2026-11-21T23:30:00Z').getDayOfWeek('Asia/Tokyo')", 0L },
        { "timestamp('2026-11-21T23:30:00Z').getDate('+09:00')", 22L },
        { "timestamp('2026-01-01T02:00:00Z').getFullYear('America/Los_Angeles')", 2025L },
        // duration accessors are totals
        { "duration('1h30m').getHours()", 1L },
        { "duration('1h30m').getMinutes()", 90L },
        { "duration('1h30m').getSeconds()", 5400L },
        { "duration('1.5s').getMilliseconds()", 1500L },
        { "run.duration.getMinutes()", 3L },
        // macros
        { "[1, 2, 3].all(x, x > 0)", true },
        { "[1, 2, 3].all(x, x > 1)", false },
        { "[].all(x, x > 1)", true },
        { "[1, 2, 3].exists(x, x > 2)", true },
        { "[1, 2, 3].exists(x, x > 3)", false },
        { "[].exists(x, true)", false },
        { "[1, 2, 3].exists_one(x, x > 2)", true },
        { "[1, 2, 3].exists_one(x, x > 1)", false },
        { "[1, 2, 3].map(x, x * 2)", new object?[] { 2L, 4L, 6L } },
        { "[1, 2, 3].map(x, x > 1, x * 10)", new object?[] { 20L, 30L } },
        { "[1, 2, 3].filter(x, x != 2)", new object?[] { 1L, 3L } },
        { "{'a': 1, 'b': 2}.map(k, k + '!')", new object?[] { "a!", "b!" } },
        { "{'a': 1, 'b': 2}.filter(k, k == 'b')", new object?[] { "b" } },
        { "{'a': 1, 'b': 2}.all(k, k.size() == 1)", true },
        { "args.exists(k, k == 'currency')", true },
        { "run.calls.exists(c, c.tool == 'crm.export' && c.effect != 'deny')", true },
        { "[1, 2].exists(x, x == 2) && [1].all(x, x == 1)", true },
        { "[1, 2].map(args, args + 1)", new object?[] { 2L, 3L } },
        { "principal.roles.filter(r, r.startsWith('sup')).size()", 1L },
        // extra functions from the environment
        { "run.called('crm.export')", true },
        { "run.called('email.send')", false },
        { "twice(21)", 42L },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Evaluate_Function_GivesValue(string source, object? expected)
    {
        Cel.AssertValue(expected, Cel.Value(source));
    }

    public static TheoryData<string, string> Errors => new()
    {
        { "size(1)", "no such overload: size (int)" },
        { "1.size()", "no such overload: size (int)" },
        { "'a'.contains(1)", "no such overload: contains (string, int)" },
        { "1.startsWith('a')", "no such overload: startsWith (int, string)" },
        { "[1].endsWith('a')", "no such overload: endsWith (list, string)" },
        { "1.lowerAscii()", "no such overload: lowerAscii (int)" },
        { "1.upperAscii()", "no such overload: upperAscii (int)" },
        { "1.matches('a')", "no such overload: matches" },
        { "'a'.matches(args.amount)", "no such overload: matches (string, int)" },
        { "'a'.matches('(' + '')", "invalid regular expression" },
        { "int(1e19)", "out of int range" },
        { "int(-1e19)", "out of int range" },
        { "int(0.0 / 0.0)", "out of int range" },
        { "int('12a')", "cannot convert '12a' to int" },
        { "int('99999999999999999999')", "cannot convert" },
        { "int(true)", "no such overload: int (bool)" },
        { "double('x')", "cannot convert 'x' to double" },
        { "double(true)", "no such overload: double (bool)" },
        { "string([1])", "no such overload: string (list)" },
        { "string(null)", "no such overload: string (null_type)" },
        { "bool('yes')", "cannot convert 'yes' to bool" },
        { "timestamp('2026-01-01')", "cannot parse '2026-01-01' as an RFC 3339 timestamp" },
        { "timestamp('2026-02-30T00:00:00Z')", "cannot parse" },
        { "timestamp('2026-01-01T00:00:00')", "cannot parse" },
        { "timestamp(1)  + duration('1h') < 1", "no such overload: _<_ (timestamp, int)" },
        { "timestamp(1.5)", "no such overload: timestamp (double)" },
        { "duration('1d')", "cannot parse '1d' as a duration" },
        { "duration('')", "cannot parse" },
        { "duration('h')", "cannot parse" },
        { "duration('.s')", "cannot parse" },
        { "duration('999999999999h')", "cannot parse" },
        { "duration(1)", "no such overload: duration (int)" },
        { "now.getHours('Mars/Olympus')", "unknown time zone 'Mars/Olympus'" },
        { "now.getHours('../../etc/passwd')", "unknown time zone" },
        { "now.getHours(1)", "no such overload: getHours (timestamp, int)" },
        { "duration('1h').getDayOfWeek()", "no such overload: getDayOfWeek (duration)" },
        { "duration('1h').getHours('UTC')", "no such overload: getHours (duration, string)" },
        { "'x'.getHours()", "no such overload: getHours (string)" },
        { "1.all(x, x)", "no such overload: all (int)" },
        { "[1, 2].all(x, x)", "no such overload: all (int)" },
        { "[1, 2].exists_one(x, x == 1 || x.missing)", "cannot select field 'missing' from int" },
        { "[1, 2].exists_one(x, 1)", "no such overload: exists_one (int)" },
        { "[1, 2].map(x, x / 0)", "division by zero" },
        { "[1, 2].filter(x, 'y')", "no such overload: filter (string)" },
        { "run.all(x, true)", "no such overload: all (object)" },
        { "twice('a')", "twice needs an int" },
        { "boom()", "boom failed: boom" },
        { "twice(args.missing)", "no such key: 'missing'" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Evaluate_Function_GivesError(string source, string error)
    {
        Assert.Contains(error, Cel.Error(source), StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_NestedMacros_WithinCost_Run()
    {
        // Nested macros multiply their cost; with small assumed collections they fit the default MaxCost.
        var limits = Cel.Limits with { AssumedCollectionSize = 100 };

        Assert.Equal(true, Cel.Evaluate("[[1, 2], [3]].all(l, l.all(x, x > 0))", limits).Value);
        Cel.AssertValue(
            new object?[] { new object?[] { 3L, 4L }, new object?[] { 6L, 8L } },
            Cel.Evaluate("[1, 2].map(x, [3, 4].map(y, x * y))", limits).Value);
    }

    [Fact]
    public void Evaluate_MoreMacrosThanStackSlots_StillKeepsEachIterationVariable()
    {
        // Up to eight iteration variables live on the stack; more take an array.
        var source = string.Join(" && ", Enumerable.Range(0, 12).Select(i => $"[{i}].all(v{i}, v{i} == {i})"));

        Assert.Equal(true, Cel.Value(source));
        Assert.Equal(false, Cel.Value(source.Replace("v11 == 11", "v11 == 10", StringComparison.Ordinal)));
    }

    [Fact]
    public void Matches_SamePatternTwice_SharesOneCompiledRegex()
    {
        var first = Patterns.TryCompile("^payments\\.", TimeSpan.FromSeconds(1), out _);
        var second = Patterns.TryCompile("^payments\\.", TimeSpan.FromSeconds(1), out _);

        Assert.NotNull(first);
        Assert.Same(first, second);
    }
}
