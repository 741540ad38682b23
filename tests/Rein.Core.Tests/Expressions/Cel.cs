using System.Text.Json;
using Rein.Core.Expressions;

namespace Rein.Core.Tests.Expressions;

/// <summary>The policy environment's names, with sample values, for expression tests.</summary>
internal static class Cel
{
    public static readonly ExpressionEnvironment Environment = new(
        ["agent", "tool", "args", "principal", "context", "run", "now"],
        [
            new ExpressionFunction("called", 1, Receiver: true, arguments =>
                arguments[0] is SampleRun run && arguments[1] is string tool ? run.Calls.Contains(tool) : new ExpressionError("bad call")),
            new ExpressionFunction("twice", 1, Receiver: false, arguments => arguments[0] is long n ? n * 2 : new ExpressionError("twice needs an int")),
            new ExpressionFunction("boom", 0, Receiver: false, _ => throw new InvalidOperationException("boom")),
        ]);

    public static readonly DateTimeOffset Now = new(2026, 11, 21, 14, 30, 15, 250, TimeSpan.Zero);

    public static object?[] Variables() =>
    [
        Json("""{"name": "support-bot", "release": "v3"}"""),
        Json("""{"name": "payments.refund", "server": "payments"}"""),
        Json("""{"amount": 120, "currency": "EUR", "ratio": 0.5, "to": ["a@example.com", "b@example.com"], "note": null, "nested": {"deep": {"x": 1}}, "empty": []}"""),
        Json("""{"id": "u1", "roles": ["support", "admin"], "attributes": {"team": "billing", "level": 3}}"""),
        Json("""{"confidence": 0.9}"""),
        new SampleRun(),
        Now,
    ];

    public static object? Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return Expression.FromJson(document.RootElement);
    }

    /// <summary>The default limits, except for a regular-expression timeout long enough for a loaded test machine;
    /// the RegexTimeout tests set their own.</summary>
    public static readonly ExpressionLimits Limits = ExpressionLimits.Default with { RegexTimeout = TimeSpan.FromSeconds(10) };

    public static CompiledExpression Compile(string source, ExpressionLimits? limits = null) =>
        Expression.Compile(source, Environment, limits ?? Limits);

    public static ExpressionResult Evaluate(string source, ExpressionLimits? limits = null) =>
        Compile(source, limits).Evaluate(Variables());

    public static object? Value(string source)
    {
        var result = Evaluate(source);
        Assert.False(result.IsError, $"{source} gave the error {result.Error}");
        return result.Value;
    }

    public static string Error(string source)
    {
        var result = Evaluate(source);
        Assert.True(result.IsError, $"{source} gave {Expression.Format(result.Value)} instead of an error");
        return result.Error!;
    }

    public static ExpressionProblem[] Problems(string source, ExpressionLimits? limits = null, SourceOrigin? origin = null)
    {
        var e = Assert.Throws<ExpressionCompileException>(() => Expression.Compile(source, Environment, limits ?? Limits, origin));
        Assert.NotEmpty(e.Problems);
        return [.. e.Problems];
    }

    /// <summary>Same type and same printed form: enough to tell 1 from 1.0 and [1] from ["1"].</summary>
    public static void AssertValue(object? expected, object? actual)
    {
        Assert.Equal(TypeName(expected), TypeName(actual));
        Assert.Equal(Expression.Format(expected), Expression.Format(actual));
    }

    private static string TypeName(object? value) => value switch
    {
        null => "null",
        IReadOnlyList<object?> => "list",
        IReadOnlyDictionary<string, object?> => "map",
        _ => value.GetType().Name,
    };
}

/// <summary>A run as the gate exposes it: fields computed on demand.</summary>
internal sealed class SampleRun : IExpressionObject
{
    public string[] Calls { get; } = ["crm.get_customer", "crm.export"];

    public bool TryGetField(string name, out object? value)
    {
        value = name switch
        {
            "steps" => 12L,
            "cost" => 0.42,
            "duration" => TimeSpan.FromMinutes(3),
            "depth" => 0L,
            "tool_calls" => new Dictionary<string, object?> { ["crm.export"] = 1L, ["crm.get_customer"] = 2L },
            "calls" => new object?[]
            {
                new Dictionary<string, object?> { ["tool"] = "crm.get_customer", ["effect"] = "allow" },
                new Dictionary<string, object?> { ["tool"] = "crm.export", ["effect"] = "allow" },
            },
            "explodes" => throw new InvalidOperationException("field failed"),
            _ => null,
        };
        return name is "steps" or "cost" or "duration" or "depth" or "tool_calls" or "calls" or "explodes";
    }
}
