namespace Rein.Core.Expressions;

internal sealed partial class Binder
{
    private (EvalNode, long) BindCall(CallSyntax call)
    {
        if (call.Target is null && call.Name == "has")
        {
            return BindHas(call);
        }

        if (call.Target is not null && MacroKindOf(call.Name) is { } macro)
        {
            return BindMacro(call, macro);
        }

        // Arguments are bound first so that problems inside them are reported even when the call itself is wrong.
        var count = call.Arguments.Length + (call.Target is null ? 0 : 1);
        var arguments = new EvalNode[count];
        long cost = 1;
        var offset = 0;
        if (call.Target is not null)
        {
            (arguments[0], var targetCost) = Bind(call.Target);
            cost = Add(cost, targetCost);
            offset = 1;
        }

        for (var i = 0; i < call.Arguments.Length; i++)
        {
            (arguments[i + offset], var argumentCost) = Bind(call.Arguments[i]);
            cost = Add(cost, argumentCost);
        }

        var member = call.Target is not null;
        var node = BindBuiltIn(call, member, arguments, ref cost) ?? BindExtra(call, member, arguments);
        return (node ?? Invalid, cost);
    }

    private EvalNode? BindBuiltIn(CallSyntax call, bool member, EvalNode[] arguments, ref long cost)
    {
        var given = call.Arguments.Length;
        switch (call.Name)
        {
            case "size":
                return Arity(call, member ? 0 : 1, given) ? new Call1Node(Functions.Size, arguments[0]) : Invalid;
            case "int" or "double" or "string" or "bool" or "timestamp" or "duration" or "dyn" when !member:
                if (!Arity(call, 1, given))
                {
                    return Invalid;
                }

                Func<object?, object?> conversion = call.Name switch
                {
                    "int" => Functions.ToInt,
                    "double" => Functions.ToDouble,
                    "string" => Functions.ToStringValue,
                    "bool" => Functions.ToBool,
                    "timestamp" => Functions.ToTimestamp,
                    "duration" => Functions.ToDuration,
                    _ => Functions.Dyn,
                };
                return new Call1Node(conversion, arguments[0]);
            case "contains" or "startsWith" or "endsWith" when member:
                if (!Arity(call, 1, given))
                {
                    return Invalid;
                }

                cost = Add(cost, _stringCost);
                Func<object?, object?, object?> test = call.Name switch
                {
                    "contains" => Functions.Contains,
                    "startsWith" => Functions.StartsWith,
                    _ => Functions.EndsWith,
                };
                return new Call2Node(test, arguments[0], arguments[1]);
            case "lowerAscii" or "upperAscii" when member:
                if (!Arity(call, 0, given))
                {
                    return Invalid;
                }

                cost = Add(cost, _stringCost);
                return new Call1Node(call.Name == "lowerAscii" ? Functions.LowerAscii : Functions.UpperAscii, arguments[0]);
            case "matches":
                if (!Arity(call, member ? 1 : 2, given))
                {
                    return Invalid;
                }

                cost = Add(cost, _stringCost);
                return BindMatches(member ? call.Arguments[0] : call.Arguments[1], arguments[0], arguments[1]);
            case "getFullYear" or "getMonth" or "getDayOfMonth" or "getDate" or "getDayOfWeek" or "getDayOfYear" or
                "getHours" or "getMinutes" or "getSeconds" or "getMilliseconds" when member:
                {
                    if (given > 1)
                    {
                        _report(call.Position, $"'{call.Name}' takes 0 or 1 arguments (a time zone), not {given}");
                        return Invalid;
                    }

                    var field = Enum.Parse<TimeField>(call.Name[3..]);
                    return given == 0
                        ? new Call1Node(value => Time.Get(field, value, null), arguments[0])
                        : new Call2Node((value, zone) => Time.Get(field, value, zone), arguments[0], arguments[1]);
                }

            default:
                return null;
        }
    }

    private EvalNode BindMatches(Syntax patternSyntax, EvalNode target, EvalNode pattern)
    {
        if (pattern is not ConstantNode { Value: string text })
        {
            return new MatchesNode(target, pattern, _limits.MaxRegexLength, _limits.RegexTimeout);
        }

        if (text.Length > _limits.MaxRegexLength)
        {
            _report(patternSyntax.Position, $"regular expression is {text.Length} characters long; the limit is {_limits.MaxRegexLength}");
            return Invalid;
        }

        var regex = Patterns.TryCompile(text, _limits.RegexTimeout, out var error);
        if (regex is null)
        {
            _report(patternSyntax.Position, error!);
            return Invalid;
        }

        return new MatchesConstantNode(target, regex, _limits.RegexTimeout);
    }

    private EvalNode? BindExtra(CallSyntax call, bool member, EvalNode[] arguments)
    {
        ExpressionFunction? other = null;
        foreach (var function in _environment.Functions)
        {
            if (function.Name != call.Name)
            {
                continue;
            }

            if (function.Receiver != member)
            {
                other = function;
                continue;
            }

            return Arity(call, function.Arity, call.Arguments.Length) ? new ExtraFunctionNode(function, arguments) : Invalid;
        }

        if (other is not null)
        {
            _report(call.Position, other.Receiver
                ? $"'{call.Name}' is called on a value, as x.{call.Name}(...)"
                : $"'{call.Name}' is not called on a value; write {call.Name}(...)");
        }
        else if (MacroKindOf(call.Name) is not null)
        {
            _report(call.Position, $"'{call.Name}' is a macro called on a list or map, as list.{call.Name}(x, ...)");
        }
        else
        {
            _report(call.Position, $"unknown function '{call.Name}'");
        }

        return null;
    }

    private bool Arity(CallSyntax call, int expected, int given)
    {
        if (expected == given)
        {
            return true;
        }

        var noun = expected == 1 ? "argument" : "arguments";
        _report(call.Position, $"'{call.Name}' takes {expected} {noun}, not {given}");
        return false;
    }

    private (EvalNode, long) BindHas(CallSyntax call)
    {
        if (call.Arguments is not [SelectSyntax select])
        {
            _report(call.Position, "has() takes one field selection, such as has(a.b)");
            return (Invalid, 1);
        }

        Record(PathOf(select), record: true);
        var (target, cost) = Bind(select.Target, recordPath: PathOf(select) is null);
        return (new HasNode(target, select.Field), Add(cost, 1));
    }

    private static MacroKind? MacroKindOf(string name) => name switch
    {
        "all" => MacroKind.All,
        "exists" => MacroKind.Exists,
        "exists_one" => MacroKind.ExistsOne,
        "map" => MacroKind.Map,
        "filter" => MacroKind.Filter,
        _ => null,
    };

    private (EvalNode, long) BindMacro(CallSyntax call, MacroKind kind)
    {
        var (range, rangeCost) = Bind(call.Target!);
        var given = call.Arguments.Length;
        var valid = kind == MacroKind.Map ? given is 2 or 3 : given == 2;
        if (!valid)
        {
            _report(call.Position, kind == MacroKind.Map
                ? $"'map' takes 2 or 3 arguments, not {given}"
                : $"'{call.Name}' takes 2 arguments, not {given}");
        }

        if (given == 0)
        {
            return (Invalid, rangeCost);
        }

        if (call.Arguments[0] is not IdentifierSyntax variable)
        {
            _report(call.Arguments[0].Position, $"the first argument of '{call.Name}' must be a name for each element, as list.{call.Name}(x, ...)");
            for (var i = 1; i < given; i++)
            {
                Bind(call.Arguments[i]);
            }

            return (Invalid, rangeCost);
        }

        var slot = LocalCount++;
        _scope.Add((variable.Name, slot));
        long bodyCost = 1;
        var bodies = new EvalNode[given - 1];
        for (var i = 1; i < given; i++)
        {
            (bodies[i - 1], var cost) = Bind(call.Arguments[i]);
            bodyCost = Add(bodyCost, cost);
        }

        _scope.RemoveAt(_scope.Count - 1);
        var total = Add(rangeCost, Multiply(_limits.AssumedCollectionSize, bodyCost));
        if (!valid)
        {
            return (Invalid, total);
        }

        var maxLength = _limits.MaxResultLength;
        EvalNode node = kind switch
        {
            MacroKind.Map when given == 3 => new MacroNode(kind, range, slot, bodies[0], bodies[1], maxLength),
            MacroKind.Map => new MacroNode(kind, range, slot, null, bodies[0], maxLength),
            _ => new MacroNode(kind, range, slot, bodies[0], null, maxLength),
        };
        return (node, total);
    }
}
