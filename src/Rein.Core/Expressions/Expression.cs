namespace Rein.Core.Expressions;

// CONTRACT (issue 4): the public surface of the CEL subset; signatures change only by agreement.

/// <summary>A compile-time problem at a 1-based line and column of the file the expression came from.</summary>
public sealed record ExpressionProblem(string Message, int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}: {Message}";
}

/// <summary>An expression did not parse, check or fit its cost bound.</summary>
public sealed class ExpressionCompileException(IReadOnlyList<ExpressionProblem> problems)
    : Exception(problems.Count == 0 ? "invalid expression" : problems[0].ToString())
{
    public IReadOnlyList<ExpressionProblem> Problems { get; } = problems;
}

/// <summary>Where an expression starts inside a larger file, so problems are reported in the file's coordinates.</summary>
public readonly record struct SourceOrigin(int Line, int Column)
{
    public static SourceOrigin Start => new(1, 1);
}

/// <summary>Every bound on an expression: checked at compile time (source, nodes, depth, worst-case cost) and again at
/// run time (iterations, string and list sizes, regular-expression time).</summary>
public sealed record ExpressionLimits
{
    public int MaxSourceLength { get; init; } = 4096;

    public int MaxNodes { get; init; } = 1000;

    /// <summary>Nesting depth of the syntax tree; also bounds the parser's recursion.</summary>
    public int MaxDepth { get; init; } = 48;

    /// <summary>Collection size assumed for inputs when estimating macro cost (inputs are bounded by the gate's body limit).</summary>
    public int AssumedCollectionSize { get; init; } = 1000;

    /// <summary>Worst-case cost estimate an expression may have; compile fails above it.</summary>
    public long MaxCost { get; init; } = 1_000_000;

    /// <summary>Macro iterations one evaluation may run; above it the evaluation is an error.</summary>
    public int MaxIterations { get; init; } = 100_000;

    /// <summary>Longest string or list an evaluation may build.</summary>
    public int MaxResultLength { get; init; } = 65_536;

    public int MaxRegexLength { get; init; } = 1024;

    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromMilliseconds(20);

    public static ExpressionLimits Default { get; } = new();
}

/// <summary>
/// A function callable from expressions, in addition to the built-ins: <c>name(args)</c> or, when
/// <see cref="Receiver"/>, <c>target.name(args)</c> with the target passed as the first argument.
/// <see cref="Arity"/> counts the arguments without the receiver. The function returns a value or
/// <see cref="ExpressionError"/>; it must not throw.
/// </summary>
public sealed record ExpressionFunction(string Name, int Arity, bool Receiver, Func<object?[], object?> Invoke);

/// <summary>The names an expression may use: variables (by slot, in this order) and extra functions.</summary>
public sealed class ExpressionEnvironment(IReadOnlyList<string> variables, IReadOnlyList<ExpressionFunction>? functions = null)
{
    public IReadOnlyList<string> Variables { get; } = variables;

    public IReadOnlyList<ExpressionFunction> Functions { get; } = functions ?? [];
}

/// <summary>An evaluation error as a value, so <c>&amp;&amp;</c> and <c>||</c> can absorb it (CEL semantics).</summary>
public sealed record ExpressionError(string Message);

/// <summary>
/// A field source for values that are not plain maps (computed lazily, such as a run's history).
/// Values an expression sees: null, bool, long (int), double, string, DateTimeOffset (timestamp), TimeSpan (duration),
/// IReadOnlyList&lt;object?&gt; (list), IReadOnlyDictionary&lt;string, object?&gt; (map, string keys) and this.
/// </summary>
public interface IExpressionObject
{
    bool TryGetField(string name, out object? value);
}

/// <summary>The outcome of one evaluation: a value, or an error message.</summary>
public readonly record struct ExpressionResult(object? Value, string? Error)
{
    public bool IsError => Error is not null;
}

/// <summary>A parsed, checked and cost-bounded expression, safe to evaluate concurrently.</summary>
public sealed class CompiledExpression
{
    private readonly EvalNode? _root;
    private readonly int _variableCount;
    private readonly int _localCount;
    private readonly int _maxIterations;

    internal CompiledExpression(string source, long cost)
    {
        Source = source;
        Cost = cost;
    }

    internal CompiledExpression(string source, long cost, EvalNode root, int variableCount, int localCount, int maxIterations)
        : this(source, cost)
    {
        _root = root;
        _variableCount = variableCount;
        _localCount = localCount;
        _maxIterations = maxIterations;
    }

    public string Source { get; }

    /// <summary>Worst-case cost estimate, at most <see cref="ExpressionLimits.MaxCost"/>.</summary>
    public long Cost { get; }

    /// <summary>Dotted selections of variables the expression reads, such as <c>run.cost</c> or <c>args</c>.</summary>
    public IReadOnlySet<string> Selections { get; init; } = new HashSet<string>();

    /// <summary>Evaluates with variables in the environment's order. Never throws for any input.</summary>
    public ExpressionResult Evaluate(object?[] variables)
    {
        if (_root is null)
        {
            return new ExpressionResult(null, "expression was not compiled");
        }

        if (variables is null || variables.Length < _variableCount)
        {
            return new ExpressionResult(null, $"expected {_variableCount} variables, got {variables?.Length ?? 0}");
        }

        var buffer = default(LocalBuffer);
        Span<object?> locals = _localCount <= LocalBuffer.Length ? buffer[.._localCount] : new object?[_localCount];
        var frame = new Frame(variables, locals, _maxIterations);
        try
        {
            var value = _root.Eval(ref frame);
            return value is ExpressionError error ? new ExpressionResult(null, error.Message) : new ExpressionResult(value, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Evaluation must never throw: a bug or a misbehaving IExpressionObject becomes an error result.
            return new ExpressionResult(null, $"evaluation failed: {e.Message}");
        }
    }
}

public static class Expression
{
    /// <exception cref="ExpressionCompileException">The source does not parse, uses an unknown name or a wrong number
    /// of arguments, or exceeds a limit; problems are in the coordinates given by <paramref name="origin"/>.</exception>
    public static CompiledExpression Compile(string source, ExpressionEnvironment environment, ExpressionLimits? limits = null, SourceOrigin? origin = null) =>
        Compiler.Compile(source, environment, limits ?? ExpressionLimits.Default, origin ?? SourceOrigin.Start);

    /// <summary>Converts a JSON value to an expression value: integral numbers to int (long), other numbers to double.</summary>
    public static object? FromJson(System.Text.Json.JsonElement json) => Values.FromJson(json);

    /// <summary>How a value prints in messages and <c>string()</c>.</summary>
    public static string Format(object? value) => Values.Format(value);
}
