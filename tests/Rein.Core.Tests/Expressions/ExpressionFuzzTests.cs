using System.Text;
using Rein.Core.Expressions;

namespace Rein.Core.Tests.Expressions;

/// <summary>Random input must never crash the compiler or the evaluator: compiling either succeeds or throws
/// <see cref="ExpressionCompileException"/>, and evaluating always returns a result. The seed is printed and can be
/// fixed with REIN_FUZZ_SEED to reproduce a failure.</summary>
public sealed class ExpressionFuzzTests
{
    private static readonly string[] Tokens =
    [
        "agent", "tool", "args", "principal", "context", "run", "now", "x", "y", "nope",
        "args.amount", "args.to", "args.nested", "principal.roles", "run.calls", "run.steps", "run.tool_calls",
        "size", "int", "double", "string", "bool", "timestamp", "duration", "dyn", "has", "matches", "twice", "called",
        ".all", ".exists", ".exists_one", ".map", ".filter", ".size", ".contains", ".startsWith", ".endsWith",
        ".matches", ".lowerAscii", ".upperAscii", ".getHours", ".getDayOfWeek", ".getMonth", ".getMilliseconds", ".called",
        "(", ")", "[", "]", "{", "}", ".", ",", ":", "?", "!", "-", "+", "*", "/", "%", "<", "<=", ">", ">=", "==",
        "!=", "&&", "||", "in", "true", "false", "null", "0", "1", "-1", "42", "9223372036854775807",
        "-9223372036854775808", "0x7fffffffffffffff", "1.5", "1e308", "-0.0", "0.0", "'a'", "''", "\"b\"", "r'\\d+'",
        "'''t'''", "'\\u0041'", "'\\x41'", "'\\101'", "'1h'", "'90s'", "'-5m'", "'2026-01-01T00:00:00Z'", "'UTC'",
        "'America/New_York'", "'+05:30'", "'(a+)+$'", "'['", "'^a.*'", "'amount'", " ", "\n", "//c\n",
    ];

    private const string Characters = "abcxyz_019.,:;?!-+*/%<>=&|()[]{}'\"\\ \n\tru\u00e9\U0001F600\0";

    private static int Seed()
    {
        var fixedSeed = Environment.GetEnvironmentVariable("REIN_FUZZ_SEED");
        return fixedSeed is null ? Random.Shared.Next() : int.Parse(fixedSeed, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void CompileAndEvaluate_RandomTokens_NeverCrash()
    {
        var seed = Seed();
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed} (set REIN_FUZZ_SEED={seed} to reproduce)");
        var random = new Random(seed);
        var compiled = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var builder = new StringBuilder();
            var count = random.Next(1, 16);
            for (var k = 0; k < count; k++)
            {
                builder.Append(Tokens[random.Next(Tokens.Length)]);
                if (random.Next(3) == 0)
                {
                    builder.Append(' ');
                }
            }

            compiled += Check(builder.ToString(), seed) ? 1 : 0;
        }

        // The token mix must reach the evaluator, or the test proves little.
        Assert.True(compiled > 500, $"only {compiled} of the random expressions compiled (seed {seed})");
    }

    [Fact]
    public void CompileAndEvaluate_RandomCharacters_NeverCrash()
    {
        var seed = Seed();
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed} (set REIN_FUZZ_SEED={seed} to reproduce)");
        var random = new Random(seed);
        for (var i = 0; i < 20_000; i++)
        {
            var length = random.Next(0, 24);
            var builder = new StringBuilder();
            for (var k = 0; k < length; k++)
            {
                builder.Append(Characters[random.Next(Characters.Length)]);
            }

            Check(builder.ToString(), seed);
        }
    }

    [Fact]
    public void CompileAndEvaluate_MutatedValidExpressions_NeverCrash()
    {
        string[] valid =
        [
            "args.amount > 50 && principal.roles.exists(r, r == 'admin')",
            "run.called('crm.export') || size(args.to) > 10",
            "'refund of ' + string(args.amount) + ' needs finance'",
            "now.getHours('America/New_York') >= 9 && now.getDayOfWeek() in [1, 2, 3, 4, 5]",
            "args.to.filter(t, !t.endsWith('@example.com')).map(t, t.upperAscii()).size() == 0",
            "has(args.nested.deep) ? args.nested.deep.x * 2 : -1",
            "{'a': [1, 2.5, 'x'], 'b': {'c': null}}.b.c == null",
            "duration('1h30m') + timestamp('2026-01-01T00:00:00Z') > now - duration('90s')",
            "int('42') + int(3.9) == 45 && double('1.5') == 1.5 && bool('true')",
            "args.currency.matches('^[A-Z]{3}$') && run.tool_calls['crm.export'] < 3",
        ];
        var seed = Seed();
        TestContext.Current.TestOutputHelper?.WriteLine($"seed {seed} (set REIN_FUZZ_SEED={seed} to reproduce)");
        var random = new Random(seed);
        foreach (var source in valid)
        {
            Assert.True(Check(source, seed), $"{source} should compile");
        }

        for (var i = 0; i < 20_000; i++)
        {
            var text = new StringBuilder(valid[random.Next(valid.Length)]);
            var edits = random.Next(1, 4);
            for (var k = 0; k < edits && text.Length > 0; k++)
            {
                var at = random.Next(text.Length);
                switch (random.Next(3))
                {
                    case 0:
                        text.Remove(at, 1);
                        break;
                    case 1:
                        text.Insert(at, Characters[random.Next(Characters.Length)]);
                        break;
                    default:
                        text.Insert(at, Tokens[random.Next(Tokens.Length)]);
                        break;
                }
            }

            Check(text.ToString(), seed);
        }
    }

    /// <summary>True when the source compiled (and then evaluated without the evaluator's safety net).</summary>
    private static bool Check(string source, int seed)
    {
        CompiledExpression compiled;
        try
        {
            compiled = Cel.Compile(source);
        }
        catch (ExpressionCompileException e)
        {
            Assert.All(e.Problems, p => Assert.True(p.Line >= 1 && p.Column >= 1, $"{p} for {Show(source)} (seed {seed})"));
            return false;
        }
        catch (Exception e)
        {
            Assert.Fail($"compiling {Show(source)} threw {e} (seed {seed})");
            return false;
        }

        var result = compiled.Evaluate(Cel.Variables());
        // "evaluation failed" is the evaluator's catch-all: reaching it means a bug turned into an exception.
        Assert.False(result.Error?.StartsWith("evaluation failed", StringComparison.Ordinal) ?? false, $"evaluating {Show(source)} gave {result.Error} (seed {seed})");
        Assert.True(result.IsError || result.Value is not ExpressionError, $"{Show(source)} returned an error as a value (seed {seed})");
        Expression.Format(result.Value);
        return true;
    }

    private static string Show(string source) => System.Text.Json.JsonSerializer.Serialize(source);
}
