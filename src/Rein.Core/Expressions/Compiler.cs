namespace Rein.Core.Expressions;

/// <summary>Source to <see cref="CompiledExpression"/>: bound the source length, parse (bounding nodes and depth),
/// check and bind, bound the worst-case cost, and report problems in the coordinates of the enclosing file.</summary>
internal static class Compiler
{
    public static CompiledExpression Compile(string source, ExpressionEnvironment environment, ExpressionLimits limits, SourceOrigin origin)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(environment);
        var problems = new List<ExpressionProblem>();
        void Report(int position, string message)
        {
            var (line, column) = Locate(source, position, origin);
            problems.Add(new ExpressionProblem(message, line, column));
        }

        if (source.Length > limits.MaxSourceLength)
        {
            Report(0, $"expression is {source.Length} characters long; the limit is {limits.MaxSourceLength}");
            throw new ExpressionCompileException(problems);
        }

        Syntax syntax;
        try
        {
            syntax = Parser.Parse(source, limits);
        }
        catch (SyntaxErrorException e)
        {
            Report(e.Position, e.Message);
            throw new ExpressionCompileException(problems);
        }

        var binder = new Binder(environment, limits, Report);
        var (root, cost) = binder.Bind(syntax);
        if (problems.Count == 0 && cost > limits.MaxCost)
        {
            Report(FirstPosition(source), $"expression cost {cost} exceeds the limit {limits.MaxCost}");
        }

        if (problems.Count > 0)
        {
            // In source order, whatever order the checker found them in.
            throw new ExpressionCompileException([.. problems.OrderBy(p => p.Line).ThenBy(p => p.Column)]);
        }

        return new CompiledExpression(source, cost, root, environment.Variables.Count, binder.LocalCount, limits.MaxIterations)
        {
            Selections = binder.Selections,
        };
    }

    private static int FirstPosition(string source)
    {
        var i = 0;
        while (i < source.Length && char.IsWhiteSpace(source[i]))
        {
            i++;
        }

        return i < source.Length ? i : 0;
    }

    /// <summary>A source offset as a line and column of the file: the first line of the expression starts at the
    /// origin's column; later lines keep their own columns.</summary>
    internal static (int Line, int Column) Locate(string source, int position, SourceOrigin origin)
    {
        position = Math.Clamp(position, 0, source.Length);
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < position; i++)
        {
            if (source[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        var column = position - lineStart + 1;
        return line == 1 ? (origin.Line, origin.Column + column - 1) : (origin.Line + line - 1, column);
    }
}
