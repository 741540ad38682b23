namespace Rein.Core.Expressions;

internal enum ArithmeticOperator
{
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

internal enum RelationOperator
{
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
}

/// <summary>CEL's arithmetic: both sides of one type (no implicit conversion), 64-bit ints that fail on overflow,
/// IEEE doubles, string and list concatenation bounded by <see cref="ExpressionLimits.MaxResultLength"/>, and
/// timestamp and duration arithmetic.</summary>
internal static class Operators
{
    public static ExpressionError Overflow(string op) => new($"integer overflow in {op}");

    public static string Name(ArithmeticOperator op) => op switch
    {
        ArithmeticOperator.Add => "_+_",
        ArithmeticOperator.Subtract => "_-_",
        ArithmeticOperator.Multiply => "_*_",
        ArithmeticOperator.Divide => "_/_",
        _ => "_%_",
    };

    public static string Name(RelationOperator op) => op switch
    {
        RelationOperator.Equal => "_==_",
        RelationOperator.NotEqual => "_!=_",
        RelationOperator.Less => "_<_",
        RelationOperator.LessOrEqual => "_<=_",
        RelationOperator.Greater => "_>_",
        _ => "_>=_",
    };

    public static object? Add(object? left, object? right, int maxLength)
    {
        switch (left)
        {
            case long l when right is long r:
                var sum = unchecked(l + r);
                return ((l ^ sum) & (r ^ sum)) < 0 ? Overflow("_+_") : Values.Box(sum);
            case double l when right is double r:
                return l + r;
            case string l when right is string r:
                return (long)l.Length + r.Length > maxLength ? TooLong("string", maxLength) : string.Concat(l, r);
            case IReadOnlyList<object?> l when right is IReadOnlyList<object?> r:
                if ((long)l.Count + r.Count > maxLength)
                {
                    return TooLong("list", maxLength);
                }

                var list = new object?[l.Count + r.Count];
                for (var i = 0; i < l.Count; i++)
                {
                    list[i] = l[i];
                }

                for (var i = 0; i < r.Count; i++)
                {
                    list[l.Count + i] = r[i];
                }

                return list;
            case DateTimeOffset l when right is TimeSpan r:
                return AddTime(l, r);
            case TimeSpan l when right is DateTimeOffset r:
                return AddTime(r, l);
            case TimeSpan l when right is TimeSpan r:
                var ticks = unchecked(l.Ticks + r.Ticks);
                return ((l.Ticks ^ ticks) & (r.Ticks ^ ticks)) < 0 ? Overflow("_+_") : TimeSpan.FromTicks(ticks);
            default:
                return Values.NoOverload("_+_", left, right);
        }
    }

    public static ExpressionError TooLong(string what, int maxLength) =>
        new($"{what} longer than {maxLength}");

    private static object AddTime(DateTimeOffset timestamp, TimeSpan duration)
    {
        var ticks = timestamp.UtcTicks + (decimal)duration.Ticks;
        return ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks
            ? Values.Error("timestamp out of range")
            : new DateTimeOffset((long)ticks, TimeSpan.Zero);
    }

    public static object? Subtract(object? left, object? right)
    {
        switch (left)
        {
            case long l when right is long r:
                var difference = unchecked(l - r);
                return ((l ^ r) & (l ^ difference)) < 0 ? Overflow("_-_") : Values.Box(difference);
            case double l when right is double r:
                return l - r;
            case DateTimeOffset l when right is TimeSpan r:
                return r == TimeSpan.MinValue ? Values.Error("timestamp out of range") : AddTime(l, -r);
            case DateTimeOffset l when right is DateTimeOffset r:
                return TimeSpan.FromTicks(l.UtcTicks - r.UtcTicks);
            case TimeSpan l when right is TimeSpan r:
                var ticks = unchecked(l.Ticks - r.Ticks);
                return ((l.Ticks ^ r.Ticks) & (l.Ticks ^ ticks)) < 0 ? Overflow("_-_") : TimeSpan.FromTicks(ticks);
            default:
                return Values.NoOverload("_-_", left, right);
        }
    }

    public static object? Multiply(object? left, object? right)
    {
        switch (left)
        {
            case long l when right is long r:
                var product = Math.BigMul(l, r, out var low);
                return (product == 0 && low >= 0) || (product == -1 && low < 0) ? Values.Box(low) : Overflow("_*_");
            case double l when right is double r:
                return l * r;
            default:
                return Values.NoOverload("_*_", left, right);
        }
    }

    public static object? Divide(object? left, object? right)
    {
        switch (left)
        {
            case long l when right is long r:
                if (r == 0)
                {
                    return Values.Error("division by zero");
                }

                return l == long.MinValue && r == -1 ? Overflow("_/_") : Values.Box(l / r);
            case double l when right is double r:
                // CEL: double division follows IEEE 754 (1.0 / 0.0 is +infinity).
                return l / r;
            default:
                return Values.NoOverload("_/_", left, right);
        }
    }

    public static object? Modulo(object? left, object? right)
    {
        if (left is long l && right is long r)
        {
            if (r == 0)
            {
                return Values.Error("modulus by zero");
            }

            return l == long.MinValue && r == -1 ? Overflow("_%_") : Values.Box(l % r);
        }

        return Values.NoOverload("_%_", left, right);
    }

    public static object? In(object? element, object? container)
    {
        switch (container)
        {
            case object?[] array:
                foreach (var item in array)
                {
                    if (Values.Equal(element, Values.Normalize(item)))
                    {
                        return Values.True;
                    }
                }

                return Values.False;
            case IReadOnlyList<object?> list:
                for (var i = 0; i < list.Count; i++)
                {
                    if (Values.Equal(element, Values.Normalize(list[i])))
                    {
                        return Values.True;
                    }
                }

                return Values.False;
            case IReadOnlyDictionary<string, object?> map:
                return Values.Box(element is string key && map.ContainsKey(key));
            case IExpressionObject obj:
                return Values.Box(element is string field && obj.TryGetField(field, out _));
            default:
                return Values.NoOverload("@in", element, container);
        }
    }
}

internal sealed class ArithmeticNode(ArithmeticOperator op, EvalNode left, EvalNode right, int maxLength) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var l = left.Eval(ref frame);
        if (l is ExpressionError)
        {
            return l;
        }

        var r = right.Eval(ref frame);
        if (r is ExpressionError)
        {
            return r;
        }

        return op switch
        {
            ArithmeticOperator.Add => Operators.Add(l, r, maxLength),
            ArithmeticOperator.Subtract => Operators.Subtract(l, r),
            ArithmeticOperator.Multiply => Operators.Multiply(l, r),
            ArithmeticOperator.Divide => Operators.Divide(l, r),
            _ => Operators.Modulo(l, r),
        };
    }
}

internal sealed class RelationNode(RelationOperator op, EvalNode left, EvalNode right) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var l = left.Eval(ref frame);
        if (l is ExpressionError)
        {
            return l;
        }

        var r = right.Eval(ref frame);
        if (r is ExpressionError)
        {
            return r;
        }

        switch (op)
        {
            case RelationOperator.Equal:
                return Values.Box(Values.Equal(l, r));
            case RelationOperator.NotEqual:
                return Values.Box(!Values.Equal(l, r));
        }

        if (!Values.TryCompare(l, r, out var comparison))
        {
            return Values.NoOverload(Operators.Name(op), l, r);
        }

        if (comparison == int.MinValue)
        {
            // NaN is unordered.
            return Values.False;
        }

        return Values.Box(op switch
        {
            RelationOperator.Less => comparison < 0,
            RelationOperator.LessOrEqual => comparison <= 0,
            RelationOperator.Greater => comparison > 0,
            _ => comparison >= 0,
        });
    }
}

internal sealed class InNode(EvalNode element, EvalNode container) : EvalNode
{
    public override object? Eval(ref Frame frame)
    {
        var e = element.Eval(ref frame);
        if (e is ExpressionError)
        {
            return e;
        }

        var c = container.Eval(ref frame);
        return c is ExpressionError ? c : Operators.In(e, c);
    }
}

/// <summary><c>x in ['a', 'b']</c> with a constant list of strings: a set lookup.</summary>
internal sealed class InStringSetNode(EvalNode element, HashSet<string> set) : EvalNode
{
    public override object? Eval(ref Frame frame) => element.Eval(ref frame) switch
    {
        string s => Values.Box(set.Contains(s)),
        ExpressionError error => error,
        _ => Values.False,
    };
}
