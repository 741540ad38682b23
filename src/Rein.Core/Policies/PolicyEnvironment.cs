using System.Collections.ObjectModel;
using Rein.Core.Expressions;

namespace Rein.Core.Policies;

/// <summary>
/// The names policy expressions see, in slot order, and the views that give them values for one action. The views
/// read <see cref="GateInput"/> directly, so building the variables of a decision allocates a handful of small objects
/// and copies nothing.
/// </summary>
internal static class PolicyEnvironment
{
    public const int Agent = 0;
    public const int Tool = 1;
    public const int Args = 2;
    public const int Principal = 3;
    public const int Context = 4;
    public const int Run = 5;
    public const int Now = 6;

    public static readonly IReadOnlyDictionary<string, object?> EmptyMap = ReadOnlyDictionary<string, object?>.Empty;

    private static readonly object True = true;
    private static readonly object False = false;

    public static ExpressionEnvironment Instance { get; } = new(
        ["agent", "tool", "args", "principal", "context", "run", "now"],
        [new ExpressionFunction("called", 1, Receiver: true, Called)]);

    public static object?[] Variables(GateInput input) =>
    [
        new AgentView(input),
        new ToolView(input),
        input.Args ?? EmptyMap,
        new PrincipalView(input),
        input.Context ?? EmptyMap,
        new RunView(input.Run ?? RunSnapshot.Empty),
        input.Now,
    ];

    /// <summary>The type of a value as expressions name it, for messages.</summary>
    public static string TypeName(object? value) => value switch
    {
        null => "null",
        bool => "bool",
        long => "int",
        double => "double",
        string => "string",
        DateTimeOffset => "timestamp",
        TimeSpan => "duration",
        IReadOnlyList<object?> => "list",
        IReadOnlyDictionary<string, object?> => "map",
        _ => "object",
    };

    // run.called(pattern): an earlier call, not denied, of a tool matching the glob.
    private static object? Called(object?[] arguments)
    {
        if (arguments.Length != 2 || arguments[0] is not RunView run)
        {
            return new ExpressionError("called() applies to run: run.called('tool.name')");
        }

        if (arguments[1] is not string pattern)
        {
            return new ExpressionError($"run.called() needs a string tool pattern, got {TypeName(arguments[1])}");
        }

        var calls = run.Snapshot.Calls;
        for (var i = 0; i < calls.Count; i++)
        {
            if (calls[i].Effect != Effect.Deny && Glob.IsMatch(pattern, calls[i].Tool))
            {
                return True;
            }
        }

        return False;
    }

    private sealed class AgentView(GateInput input) : IExpressionObject
    {
        public bool TryGetField(string name, out object? value)
        {
            value = name switch
            {
                "name" => input.Agent,
                "release" => input.Release,
                _ => null,
            };
            return name is "name" or "release";
        }
    }

    private sealed class ToolView(GateInput input) : IExpressionObject
    {
        public bool TryGetField(string name, out object? value)
        {
            value = name switch
            {
                "name" => input.Tool,
                "server" => input.Server,
                _ => null,
            };
            return name is "name" or "server";
        }
    }

    private sealed class PrincipalView(GateInput input) : IExpressionObject
    {
        public bool TryGetField(string name, out object? value)
        {
            value = name switch
            {
                "id" => input.PrincipalId,
                "roles" => input.PrincipalRoles ?? [],
                "attributes" => input.PrincipalAttributes ?? EmptyMap,
                _ => null,
            };
            return name is "id" or "roles" or "attributes";
        }
    }

    /// <summary>The run before this action; lists and maps are built on first use only.</summary>
    internal sealed class RunView(RunSnapshot run) : IExpressionObject
    {
        private IReadOnlyList<object?>? _calls;
        private IReadOnlyDictionary<string, object?>? _toolCalls;

        public RunSnapshot Snapshot => run;

        public bool TryGetField(string name, out object? value)
        {
            switch (name)
            {
                case "steps":
                    value = (long)run.Steps;
                    return true;
                case "calls":
                    value = _calls ??= BuildCalls();
                    return true;
                case "tool_calls":
                    value = _toolCalls ??= BuildToolCalls();
                    return true;
                case "identical_calls":
                    value = (long)run.IdenticalCalls;
                    return true;
                case "cost":
                    value = (double)(run.CostUsd ?? 0m);
                    return true;
                case "duration":
                    value = run.Duration;
                    return true;
                case "depth":
                    value = (long)run.Depth;
                    return true;
                case "untrusted":
                    value = run.Untrusted;
                    return true;
                default:
                    value = null;
                    return false;
            }
        }

        private object?[] BuildCalls()
        {
            var calls = new object?[run.Calls.Count];
            for (var i = 0; i < calls.Length; i++)
            {
                calls[i] = new Dictionary<string, object?>(2, StringComparer.Ordinal)
                {
                    ["tool"] = run.Calls[i].Tool,
                    ["effect"] = run.Calls[i].Effect.ToName(),
                };
            }

            return calls;
        }

        private Dictionary<string, object?> BuildToolCalls()
        {
            var map = new Dictionary<string, object?>(run.ToolCalls.Count, StringComparer.Ordinal);
            foreach (var (tool, count) in run.ToolCalls)
            {
                map[tool] = (long)count;
            }

            return map;
        }
    }
}
