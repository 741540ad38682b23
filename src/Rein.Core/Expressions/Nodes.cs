using System.Runtime.CompilerServices;

namespace Rein.Core.Expressions;

/// <summary>The state of one evaluation: variables by slot, macro iteration variables by slot (on the stack when
/// there are few), and the iteration count checked against <see cref="ExpressionLimits.MaxIterations"/>.</summary>
internal ref struct Frame(object?[] variables, Span<object?> locals, int maxIterations)
{
    public readonly object?[] Variables = variables;
    public readonly Span<object?> Locals = locals;
    public readonly int MaxIterations = maxIterations;
    public int Iterations;

    /// <summary>Counts one iteration; false when the bound is passed.</summary>
    public bool Iterate() => ++Iterations <= MaxIterations;

    public readonly ExpressionError IterationError() =>
        new($"expression ran more than {MaxIterations} iterations");
}

/// <summary>Room for the iteration variables of an expression with few macros, so that evaluating it allocates
/// nothing for them.</summary>
[InlineArray(Length)]
internal struct LocalBuffer
{
    public const int Length = 8;

    private object? _element;
}

/// <summary>A checked expression node. <see cref="Eval"/> returns a value or an <see cref="ExpressionError"/>; it
/// never returns an error wrapped in anything else, and callers return errors from children as they are.</summary>
internal abstract class EvalNode
{
    public abstract object? Eval(ref Frame frame);
}

internal sealed class ConstantNode(object? value) : EvalNode
{
    public object? Value { get; } = value;

    public override object? Eval(ref Frame frame) => Value;
}

internal sealed class VariableNode(int slot) : EvalNode
{
    public override object? Eval(ref Frame frame) => Values.Normalize(frame.Variables[slot]);
}

internal sealed class LocalNode(int slot) : EvalNode
{
    public override object? Eval(ref Frame frame) => frame.Locals[slot];
}

internal sealed class SelectNode(EvalNode target, string field) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var value = target.Eval(ref frame);
        return value is ExpressionError ? value : Select(value, field);
    }

    public static object? Select(object? value, string field)
    {
        switch (value)
        {
            // JSON objects are Dictionary: a class check and a direct call are cheaper than the interface.
            case Dictionary<string, object?> dictionary:
                return dictionary.TryGetValue(field, out var entry) ? Values.Normalize(entry) : NoSuchKey(field);
            case IReadOnlyDictionary<string, object?> map:
                return map.TryGetValue(field, out var item) ? Values.Normalize(item) : NoSuchKey(field);
            case IExpressionObject obj:
                return obj.TryGetField(field, out var fieldValue) ? Values.Normalize(fieldValue) : NoSuchKey(field);
            default:
                return Values.Error($"cannot select field '{field}' from {Values.TypeName(value)}");
        }
    }

    public static ExpressionError NoSuchKey(string key) => new($"no such key: '{key}'");
}

/// <summary><c>has(a.b)</c>: whether the map or object has the field, without an error when it does not.</summary>
internal sealed class HasNode(EvalNode target, string field) : EvalNode
{
    public override object? Eval(ref Frame frame) => target.Eval(ref frame) switch
    {
        ExpressionError error => error,
        IReadOnlyDictionary<string, object?> map => Values.Box(map.ContainsKey(field)),
        IExpressionObject obj => Values.Box(obj.TryGetField(field, out _)),
        var other => Values.NoOverload("has", other),
    };
}

internal sealed class IndexNode(EvalNode target, EvalNode index) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var value = target.Eval(ref frame);
        if (value is ExpressionError)
        {
            return value;
        }

        var key = index.Eval(ref frame);
        if (key is ExpressionError)
        {
            return key;
        }

        switch (value)
        {
            case object?[] array when TryGetPosition(key, out var position):
                return position >= 0 && position < array.Length
                    ? Values.Normalize(array[position])
                    : Values.Error($"index {position} out of range for a list of size {array.Length}");
            case IReadOnlyList<object?> list:
                if (TryGetPosition(key, out var i))
                {
                    return i >= 0 && i < list.Count
                        ? Values.Normalize(list[(int)i])
                        : Values.Error($"index {i} out of range for a list of size {list.Count}");
                }

                return Values.NoOverload("_[_]", value, key);
            case IReadOnlyDictionary<string, object?> map:
                return key is string s
                    ? map.TryGetValue(s, out var item) ? Values.Normalize(item) : SelectNode.NoSuchKey(s)
                    : Values.Error($"no such key: {Values.Format(key)} (map keys are strings)");
            case IExpressionObject obj when key is string field:
                return obj.TryGetField(field, out var fieldValue) ? Values.Normalize(fieldValue) : SelectNode.NoSuchKey(field);
            default:
                return Values.NoOverload("_[_]", value, key);
        }
    }

    // CEL allows a double index when it is a whole number (heterogeneous numeric equality).
    private static bool TryGetPosition(object? key, out long position)
    {
        switch (key)
        {
            case long l:
                position = l;
                return true;
            case double d when double.IsInteger(d) && Math.Abs(d) < 1e18:
                position = (long)d;
                return true;
            default:
                position = 0;
                return false;
        }
    }
}

internal sealed class NotNode(EvalNode operand) : EvalNode
{
    public override object? Eval(ref Frame frame) => operand.Eval(ref frame) switch
    {
        bool b => b ? Values.False : Values.True,
        ExpressionError error => error,
        var other => Values.NoOverload("!_", other),
    };
}

internal sealed class NegateNode(EvalNode operand) : EvalNode
{
    public override object? Eval(ref Frame frame) => operand.Eval(ref frame) switch
    {
        long l => l == long.MinValue ? Operators.Overflow("-_") : Values.Box(-l),
        double d => -d,
        TimeSpan t => t == TimeSpan.MinValue ? Operators.Overflow("-_") : -t,
        ExpressionError error => error,
        var other => Values.NoOverload("-_", other),
    };
}

/// <summary>CEL's <c>&amp;&amp;</c>: false on either side decides, even when the other side is an error.</summary>
internal sealed class AndNode(EvalNode left, EvalNode right) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var l = left.Eval(ref frame);
        if (l is bool lb)
        {
            if (!lb)
            {
                return Values.False;
            }

            var r = right.Eval(ref frame);
            return r is bool or ExpressionError ? r : Values.NoOverload("_&&_", l, r);
        }

        var r2 = right.Eval(ref frame);
        if (r2 is false)
        {
            return Values.False;
        }

        return l is ExpressionError ? l : r2 is ExpressionError ? r2 : Values.NoOverload("_&&_", l, r2);
    }
}

/// <summary>CEL's <c>||</c>: true on either side decides, even when the other side is an error.</summary>
internal sealed class OrNode(EvalNode left, EvalNode right) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var l = left.Eval(ref frame);
        if (l is bool lb)
        {
            if (lb)
            {
                return Values.True;
            }

            var r = right.Eval(ref frame);
            return r is bool or ExpressionError ? r : Values.NoOverload("_||_", l, r);
        }

        var r2 = right.Eval(ref frame);
        if (r2 is true)
        {
            return Values.True;
        }

        return l is ExpressionError ? l : r2 is ExpressionError ? r2 : Values.NoOverload("_||_", l, r2);
    }
}

internal sealed class ConditionalNode(EvalNode condition, EvalNode then, EvalNode otherwise) : EvalNode
{
    public override object? Eval(ref Frame frame) => condition.Eval(ref frame) switch
    {
        true => then.Eval(ref frame),
        false => otherwise.Eval(ref frame),
        ExpressionError error => error,
        var other => Values.NoOverload("_?_:_", other),
    };
}

internal sealed class ListNode(EvalNode[] items) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var list = new object?[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var item = items[i].Eval(ref frame);
            if (item is ExpressionError)
            {
                return item;
            }

            list[i] = item;
        }

        return list;
    }
}

internal sealed class MapNode(EvalNode[] keys, EvalNode[] values) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var map = new Dictionary<string, object?>(keys.Length, StringComparer.Ordinal);
        for (var i = 0; i < keys.Length; i++)
        {
            var key = keys[i].Eval(ref frame);
            if (key is ExpressionError)
            {
                return key;
            }

            if (key is not string name)
            {
                return Values.Error($"map keys must be strings, not {Values.TypeName(key)}");
            }

            var value = values[i].Eval(ref frame);
            if (value is ExpressionError)
            {
                return value;
            }

            if (!map.TryAdd(name, value))
            {
                return Values.Error($"duplicate map key '{name}'");
            }
        }

        return map;
    }
}

internal sealed class Call1Node(Func<object?, object?> function, EvalNode argument) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var value = argument.Eval(ref frame);
        return value is ExpressionError ? value : function(value);
    }
}

internal sealed class Call2Node(Func<object?, object?, object?> function, EvalNode first, EvalNode second) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var a = first.Eval(ref frame);
        if (a is ExpressionError)
        {
            return a;
        }

        var b = second.Eval(ref frame);
        return b is ExpressionError ? b : function(a, b);
    }
}

/// <summary>A function from <see cref="ExpressionEnvironment.Functions"/>; what it throws becomes an error.</summary>
internal sealed class ExtraFunctionNode(ExpressionFunction function, EvalNode[] arguments) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var values = new object?[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            var value = arguments[i].Eval(ref frame);
            if (value is ExpressionError)
            {
                return value;
            }

            values[i] = value;
        }

        try
        {
            return Values.Normalize(function.Invoke(values));
        }
        catch (Exception e)
        {
            return Values.Error($"{function.Name} failed: {e.Message}");
        }
    }
}
