using System.Collections.ObjectModel;

namespace Rein.Core.Expressions;

/// <summary>The checker: resolves names against the environment and macro scopes, checks functions and arities,
/// compiles constant regular expressions, estimates the worst-case cost and builds the evaluation tree. It reports
/// every problem it finds rather than stopping at the first.</summary>
internal sealed partial class Binder
{
    private readonly ExpressionEnvironment _environment;
    private readonly ExpressionLimits _limits;
    private readonly Action<int, string> _report;
    private readonly Dictionary<string, int> _variables = new(StringComparer.Ordinal);
    private readonly List<(string Name, int Slot)> _scope = [];

    // A string operation is charged one unit per ten characters of a string assumed AssumedCollectionSize long
    // (cel-go's cost model charges 0.1 per character), so that a string test inside a macro stays affordable.
    private readonly long _stringCost;

    public Binder(ExpressionEnvironment environment, ExpressionLimits limits, Action<int, string> report)
    {
        _environment = environment;
        _limits = limits;
        _report = report;
        _stringCost = Math.Max(1, limits.AssumedCollectionSize / 10);
        for (var i = 0; i < environment.Variables.Count; i++)
        {
            _variables.TryAdd(environment.Variables[i], i);
        }
    }

    public int LocalCount { get; private set; }

    public HashSet<string> Selections { get; } = new(StringComparer.Ordinal);

    private static readonly EvalNode Invalid = new ConstantNode(null);

    public (EvalNode Node, long Cost) Bind(Syntax syntax, bool recordPath = true)
    {
        switch (syntax)
        {
            case LiteralSyntax literal:
                return (new ConstantNode(literal.Value), 1);
            case IdentifierSyntax identifier:
                return (BindIdentifier(identifier, recordPath), 1);
            case SelectSyntax select:
                {
                    var path = PathOf(select);
                    Record(path, recordPath);
                    var (target, cost) = Bind(select.Target, recordPath: path is null);
                    return (new SelectNode(target, select.Field), Add(cost, 1));
                }

            case IndexSyntax index:
                {
                    var path = PathOf(index);
                    Record(path, recordPath);
                    var (target, targetCost) = Bind(index.Target, recordPath: path is null);
                    var (key, keyCost) = Bind(index.Index);
                    return (new IndexNode(target, key), Add(targetCost, keyCost, 1));
                }

            case UnarySyntax unary:
                {
                    var (operand, cost) = Bind(unary.Operand);
                    return (unary.Operator == "!" ? new NotNode(operand) : new NegateNode(operand), Add(cost, 1));
                }

            case BinarySyntax binary:
                return BindBinary(binary);
            case ConditionalSyntax conditional:
                {
                    var (condition, conditionCost) = Bind(conditional.Condition);
                    var (then, thenCost) = Bind(conditional.Then);
                    var (otherwise, otherwiseCost) = Bind(conditional.Otherwise);
                    return (new ConditionalNode(condition, then, otherwise), Add(conditionCost, Math.Max(thenCost, otherwiseCost), 1));
                }

            case ListSyntax list:
                return BindList(list);
            case MapSyntax map:
                return BindMap(map);
            case CallSyntax call:
                return BindCall(call);
            default:
                _report(syntax.Position, "unsupported expression");
                return (Invalid, 1);
        }
    }

    private EvalNode BindIdentifier(IdentifierSyntax identifier, bool recordPath)
    {
        for (var i = _scope.Count - 1; i >= 0; i--)
        {
            if (_scope[i].Name == identifier.Name)
            {
                return new LocalNode(_scope[i].Slot);
            }
        }

        if (_variables.TryGetValue(identifier.Name, out var slot))
        {
            Record(identifier.Name, recordPath);
            return new VariableNode(slot);
        }

        var known = _environment.Variables.Count == 0 ? "there are none" : "known names are " + string.Join(", ", _environment.Variables);
        _report(identifier.Position, $"unknown name '{identifier.Name}'; {known}");
        return Invalid;
    }

    /// <summary>The dotted path of a selection rooted at a variable (<c>args.amount</c>, <c>args['a b']</c> as
    /// <c>args.a b</c>); null when the chain is not rooted at a variable or has a computed index.</summary>
    private string? PathOf(Syntax syntax) => syntax switch
    {
        IdentifierSyntax identifier when IsVariable(identifier.Name) => identifier.Name,
        SelectSyntax select => PathOf(select.Target) is { } target ? target + "." + select.Field : null,
        IndexSyntax { Index: LiteralSyntax { Value: string key } } index => PathOf(index.Target) is { } target ? target + "." + key : null,
        _ => null,
    };

    private bool IsVariable(string name)
    {
        foreach (var (local, _) in _scope)
        {
            if (local == name)
            {
                return false;
            }
        }

        return _variables.ContainsKey(name);
    }

    private void Record(string? path, bool record)
    {
        if (path is not null && record)
        {
            Selections.Add(path);
        }
    }

    private (EvalNode, long) BindBinary(BinarySyntax binary)
    {
        var (left, leftCost) = Bind(binary.Left);
        var (right, rightCost) = Bind(binary.Right);
        var cost = Add(leftCost, rightCost, 1);
        EvalNode node = binary.Operator switch
        {
            "&&" => new AndNode(left, right),
            "||" => new OrNode(left, right),
            "+" => new ArithmeticNode(ArithmeticOperator.Add, left, right, _limits.MaxResultLength),
            "-" => new ArithmeticNode(ArithmeticOperator.Subtract, left, right, _limits.MaxResultLength),
            "*" => new ArithmeticNode(ArithmeticOperator.Multiply, left, right, _limits.MaxResultLength),
            "/" => new ArithmeticNode(ArithmeticOperator.Divide, left, right, _limits.MaxResultLength),
            "%" => new ArithmeticNode(ArithmeticOperator.Modulo, left, right, _limits.MaxResultLength),
            "==" => new RelationNode(RelationOperator.Equal, left, right),
            "!=" => new RelationNode(RelationOperator.NotEqual, left, right),
            "<" => new RelationNode(RelationOperator.Less, left, right),
            "<=" => new RelationNode(RelationOperator.LessOrEqual, left, right),
            ">" => new RelationNode(RelationOperator.Greater, left, right),
            ">=" => new RelationNode(RelationOperator.GreaterOrEqual, left, right),
            _ => BindIn(left, right),
        };
        if (binary.Operator is "+" && (left is ConstantNode { Value: string } || right is ConstantNode { Value: string }))
        {
            cost = Add(cost, _stringCost);
        }

        return (node, cost);
    }

    private static EvalNode BindIn(EvalNode element, EvalNode container)
    {
        if (container is ConstantNode { Value: IReadOnlyList<object?> list } && list.Count > 0)
        {
            var set = new HashSet<string>(StringComparer.Ordinal);
            foreach (var item in list)
            {
                if (item is not string s)
                {
                    return new InNode(element, container);
                }

                set.Add(s);
            }

            return new InStringSetNode(element, set);
        }

        return new InNode(element, container);
    }

    private (EvalNode, long) BindList(ListSyntax list)
    {
        var items = new EvalNode[list.Items.Length];
        long cost = 1;
        var constant = true;
        for (var i = 0; i < items.Length; i++)
        {
            (items[i], var itemCost) = Bind(list.Items[i]);
            cost = Add(cost, itemCost);
            constant &= items[i] is ConstantNode;
        }

        if (!constant)
        {
            return (new ListNode(items), cost);
        }

        var values = new object?[items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            values[i] = ((ConstantNode)items[i]).Value;
        }

        return (new ConstantNode(Array.AsReadOnly(values)), cost);
    }

    private (EvalNode, long) BindMap(MapSyntax map)
    {
        var keys = new EvalNode[map.Keys.Length];
        var values = new EvalNode[map.Values.Length];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        long cost = 1;
        var constant = true;
        for (var i = 0; i < keys.Length; i++)
        {
            if (map.Keys[i] is LiteralSyntax literal)
            {
                if (literal.Value is not string name)
                {
                    _report(literal.Position, $"map keys must be strings in Rein's expressions, not {Values.TypeName(literal.Value)}");
                }
                else if (!seen.Add(name))
                {
                    _report(literal.Position, $"duplicate map key '{name}'");
                }
            }

            (keys[i], var keyCost) = Bind(map.Keys[i]);
            (values[i], var valueCost) = Bind(map.Values[i]);
            cost = Add(cost, keyCost, valueCost);
            constant &= keys[i] is ConstantNode { Value: string } && values[i] is ConstantNode;
        }

        if (!constant)
        {
            return (new MapNode(keys, values), cost);
        }

        var dictionary = new Dictionary<string, object?>(keys.Length, StringComparer.Ordinal);
        for (var i = 0; i < keys.Length; i++)
        {
            dictionary[(string)((ConstantNode)keys[i]).Value!] = ((ConstantNode)values[i]).Value;
        }

        return (new ConstantNode(new ReadOnlyDictionary<string, object?>(dictionary)), cost);
    }

    private static long Add(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private static long Add(long a, long b, long c) => Add(Add(a, b), c);

    private static long Multiply(long a, long b) => a != 0 && b > long.MaxValue / a ? long.MaxValue : a * b;
}
