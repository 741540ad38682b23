namespace Rein.Core.Expressions;

internal enum MacroKind
{
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
}

/// <summary>The elements a macro iterates: a list's elements or a map's keys (CEL).</summary>
internal struct MacroItems : IDisposable
{
    private readonly object?[]? _array;
    private readonly IReadOnlyList<object?>? _list;
    private readonly IEnumerator<string>? _keys;
    private int _index;

    private MacroItems(object?[]? array, IReadOnlyList<object?>? list, IEnumerator<string>? keys)
    {
        _array = array;
        _list = list;
        _keys = keys;
        _index = 0;
    }

    public static bool TryCreate(object? range, out MacroItems items)
    {
        switch (range)
        {
            // JSON arrays are object?[]: indexing the array directly avoids the slow interface path of arrays.
            case object?[] array:
                items = new MacroItems(array, null, null);
                return true;
            case IReadOnlyList<object?> list:
                items = new MacroItems(null, list, null);
                return true;
            case IReadOnlyDictionary<string, object?> map:
                items = new MacroItems(null, null, map.Keys.GetEnumerator());
                return true;
            default:
                items = default;
                return false;
        }
    }

    public bool MoveNext(out object? item)
    {
        if (_array is not null)
        {
            if (_index < _array.Length)
            {
                item = Values.Normalize(_array[_index++]);
                return true;
            }
        }
        else if (_list is not null)
        {
            if (_index < _list.Count)
            {
                item = Values.Normalize(_list[_index++]);
                return true;
            }
        }
        else if (_keys is not null && _keys.MoveNext())
        {
            item = _keys.Current;
            return true;
        }

        item = null;
        return false;
    }

    public readonly void Dispose() => _keys?.Dispose();
}

/// <summary><c>range.all(x, p)</c>, <c>exists</c>, <c>exists_one</c>, <c>map(x, t)</c>, <c>map(x, p, t)</c> and
/// <c>filter(x, p)</c>. The iteration variable lives in a local slot. <c>all</c> and <c>exists</c> absorb errors
/// the way <c>&amp;&amp;</c> and <c>||</c> do: a deciding element wins over an error in another.</summary>
internal sealed class MacroNode(MacroKind kind, EvalNode range, int slot, EvalNode? predicate, EvalNode? transform, int maxLength) : EvalNode
{
    private static string Name(MacroKind kind) => kind switch
    {
        MacroKind.All => "all",
        MacroKind.Exists => "exists",
        MacroKind.ExistsOne => "exists_one",
        MacroKind.Map => "map",
        _ => "filter",
    };

    public override object? Eval(ref Frame frame)
    {
        var value = range.Eval(ref frame);
        if (value is ExpressionError)
        {
            return value;
        }

        if (!MacroItems.TryCreate(value, out var items))
        {
            return Values.NoOverload(Name(kind), value);
        }

        try
        {
            return kind switch
            {
                MacroKind.All or MacroKind.Exists => Quantify(ref frame, ref items, kind == MacroKind.Exists),
                MacroKind.ExistsOne => ExactlyOne(ref frame, ref items),
                _ => Collect(ref frame, ref items),
            };
        }
        finally
        {
            items.Dispose();
        }
    }

    private object? Quantify(ref Frame frame, ref MacroItems items, bool decidingValue)
    {
        var locals = frame.Locals;
        object? error = null;
        while (items.MoveNext(out var item))
        {
            if (!frame.Iterate())
            {
                return frame.IterationError();
            }

            locals[slot] = item;
            var result = predicate!.Eval(ref frame);
            if (result is bool b)
            {
                if (b == decidingValue)
                {
                    return Values.Box(decidingValue);
                }
            }
            else
            {
                error ??= result as ExpressionError ?? Values.NoOverload(Name(kind), result);
            }
        }

        return error ?? Values.Box(!decidingValue);
    }

    private object? ExactlyOne(ref Frame frame, ref MacroItems items)
    {
        var locals = frame.Locals;
        var count = 0;
        while (items.MoveNext(out var item))
        {
            if (!frame.Iterate())
            {
                return frame.IterationError();
            }

            locals[slot] = item;
            switch (predicate!.Eval(ref frame))
            {
                case true:
                    count++;
                    break;
                case false:
                    break;
                case ExpressionError error:
                    return error;
                case var other:
                    return Values.NoOverload("exists_one", other);
            }
        }

        return Values.Box(count == 1);
    }

    private object? Collect(ref Frame frame, ref MacroItems items)
    {
        var locals = frame.Locals;
        var results = new List<object?>();
        while (items.MoveNext(out var item))
        {
            if (!frame.Iterate())
            {
                return frame.IterationError();
            }

            locals[slot] = item;
            if (predicate is not null)
            {
                switch (predicate.Eval(ref frame))
                {
                    case true:
                        break;
                    case false:
                        continue;
                    case ExpressionError error:
                        return error;
                    case var other:
                        return Values.NoOverload(Name(kind), other);
                }
            }

            var result = item;
            if (transform is not null)
            {
                result = transform.Eval(ref frame);
                if (result is ExpressionError)
                {
                    return result;
                }
            }

            if (results.Count >= maxLength)
            {
                return Operators.TooLong("list", maxLength);
            }

            results.Add(result);
        }

        return results;
    }
}
