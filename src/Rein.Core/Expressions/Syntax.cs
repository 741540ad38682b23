namespace Rein.Core.Expressions;

/// <summary>A parsed expression node. <see cref="Position"/> is the source offset problems point at;
/// <see cref="Depth"/> is the height of the subtree (bounded by <see cref="ExpressionLimits.MaxDepth"/>).</summary>
internal abstract class Syntax(int position, int depth)
{
    public int Position { get; } = position;

    public int Depth { get; } = depth;

    protected static int DepthOf(params ReadOnlySpan<Syntax> children)
    {
        var max = 0;
        foreach (var child in children)
        {
            max = Math.Max(max, child.Depth);
        }

        return max + 1;
    }
}

internal sealed class LiteralSyntax(int position, object? value) : Syntax(position, 1)
{
    public object? Value { get; } = value;
}

internal sealed class IdentifierSyntax(int position, string name) : Syntax(position, 1)
{
    public string Name { get; } = name;
}

internal sealed class SelectSyntax(int position, Syntax target, string field) : Syntax(position, DepthOf(target))
{
    public Syntax Target { get; } = target;

    public string Field { get; } = field;
}

internal sealed class IndexSyntax(int position, Syntax target, Syntax index) : Syntax(position, DepthOf(target, index))
{
    public Syntax Target { get; } = target;

    public Syntax Index { get; } = index;
}

/// <summary><c>name(args)</c> when <see cref="Target"/> is null, <c>target.name(args)</c> otherwise.</summary>
internal sealed class CallSyntax(int position, Syntax? target, string name, Syntax[] arguments)
    : Syntax(position, target is null ? DepthOf(arguments) : Math.Max(target.Depth + 1, DepthOf(arguments)))
{
    public Syntax? Target { get; } = target;

    public string Name { get; } = name;

    public Syntax[] Arguments { get; } = arguments;
}

internal sealed class UnarySyntax(int position, string op, Syntax operand) : Syntax(position, DepthOf(operand))
{
    public string Operator { get; } = op;

    public Syntax Operand { get; } = operand;
}

internal sealed class BinarySyntax(int position, string op, Syntax left, Syntax right) : Syntax(position, DepthOf(left, right))
{
    public string Operator { get; } = op;

    public Syntax Left { get; } = left;

    public Syntax Right { get; } = right;
}

internal sealed class ConditionalSyntax(int position, Syntax condition, Syntax then, Syntax otherwise)
    : Syntax(position, DepthOf(condition, then, otherwise))
{
    public Syntax Condition { get; } = condition;

    public Syntax Then { get; } = then;

    public Syntax Otherwise { get; } = otherwise;
}

internal sealed class ListSyntax(int position, Syntax[] items) : Syntax(position, DepthOf(items))
{
    public Syntax[] Items { get; } = items;
}

internal sealed class MapSyntax(int position, Syntax[] keys, Syntax[] values) : Syntax(position, Math.Max(DepthOf(keys), DepthOf(values)))
{
    public Syntax[] Keys { get; } = keys;

    public Syntax[] Values { get; } = values;
}
