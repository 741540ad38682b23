using System.Globalization;

namespace Rein.Core.Policies;

internal sealed partial class PolicyReader
{
    /// <summary>When a test gives no <c>now</c>: a fixed instant, so tests about time give the same answer every day.</summary>
    internal static readonly DateTimeOffset DefaultTestNow = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>When a test gives no agent and the first agent glob has wildcards.</summary>
    internal const string DefaultTestAgent = "test-agent";

    private static readonly string[] TestKeys = ["name", "input", "expect"];
    private static readonly string[] InputKeys = ["agent", "release", "tool", "server", "args", "principal", "context", "run", "now"];
    private static readonly string[] PrincipalKeys = ["id", "roles", "attributes"];
    private static readonly string[] RunKeys = ["steps", "calls", "tool_calls", "identical_calls", "cost_usd", "duration", "depth", "untrusted"];
    private static readonly string[] CallKeys = ["tool", "effect"];
    private static readonly string[] ExpectKeys = ["effect", "route", "rule", "message"];

    private PolicyTestCase[]? Tests(PolicyYaml.Node node, string[]? agents)
    {
        if (node is not PolicyYaml.Sequence sequence)
        {
            Problem(node, $"'tests' must be a list of tests, not {node.Kind}");
            return null;
        }

        TooMany(node, sequence.Items.Count, limits.MaxTests, "the policy", "tests");
        var defaultAgent = agents is { Length: > 0 } && !Glob.HasWildcards(agents[0]) ? agents[0] : DefaultTestAgent;
        var count = Math.Min(sequence.Items.Count, limits.MaxTests);
        var tests = new PolicyTestCase[count];
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        var valid = true;
        for (var i = 0; i < count; i++)
        {
            var test = Test(sequence.Items[i], i + 1, defaultAgent);
            if (test is null)
            {
                valid = false;
                continue;
            }

            if (!names.TryAdd(test.Name, test.Line))
            {
                Problem(sequence.Items[i], $"duplicate test name {Quote(test.Name)} (first at line {names[test.Name]})");
                valid = false;
            }

            tests[i] = test;
        }

        return valid ? tests : null;
    }

    private PolicyTestCase? Test(PolicyYaml.Node node, int number, string defaultAgent)
    {
        var where = $"test {number}";
        if (node is PolicyYaml.Mapping mapping)
        {
            foreach (var (key, value) in mapping.Entries)
            {
                if (key.Text == "name" && value is PolicyYaml.Scalar { IsNull: false } nameScalar)
                {
                    where = $"test {Quote(nameScalar.Text)}";
                    break;
                }
            }
        }

        var fields = Fields(node, where, TestKeys);
        if (fields is null)
        {
            return null;
        }

        var problems = Problems.Count;
        var name = Required(fields, "name", node, where) is { } nameNode ? TestName(nameNode) : null;
        var input = Required(fields, "input", node, where) is { } inputNode ? Input(inputNode, where, defaultAgent) : null;
        var expectWhere = $"'expect' of {where}";
        var expect = Required(fields, "expect", node, where) is { } expectNode ? Fields(expectNode, expectWhere, ExpectKeys) : null;
        var effect = expect is not null && Required(expect, "effect", fields["expect"], expectWhere) is { } effectNode
            ? EffectValue(effectNode, "effect", expectWhere)
            : null;
        string? Expect(string key) => expect is not null && expect.TryGetValue(key, out var value) ? Text(value, $"'{key}' in {expectWhere}") : null;
        var route = Expect("route");
        var rule = Expect("rule");
        var message = Expect("message");
        if (Problems.Count > problems || name is null || input is null || effect is null)
        {
            return null;
        }

        return new PolicyTestCase
        {
            Name = name,
            Input = input,
            ExpectEffect = effect.Value,
            ExpectRoute = route,
            ExpectRule = rule,
            ExpectMessage = message,
            Line = node.Line,
        };
    }

    private string? TestName(PolicyYaml.Node node)
    {
        if (Text(node, "test name") is not { } name)
        {
            return null;
        }

        if (name.Length == 0 || name.Length > limits.MaxNameLength || name.AsSpan().ContainsAnyInRange('\0', '\u001f'))
        {
            Problem(node, $"test name {Quote(name)} must be 1 to {limits.MaxNameLength} characters on one line");
            return null;
        }

        return name;
    }

    private GateInput? Input(PolicyYaml.Node node, string where, string defaultAgent)
    {
        var what = $"'input' of {where}";
        var fields = Fields(node, what, InputKeys);
        if (fields is null)
        {
            return null;
        }

        string? Optional(string key) => fields.TryGetValue(key, out var value) ? Text(value, $"'{key}' in {what}") : null;
        var tool = Required(fields, "tool", node, what) is { } toolNode ? Text(toolNode, $"'tool' in {what}") : null;
        var now = DefaultTestNow;
        if (fields.TryGetValue("now", out var nowNode) && Text(nowNode, $"'now' in {what}") is { } nowText &&
            !DateTimeOffset.TryParse(nowText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out now))
        {
            Problem(nowNode, $"'now' in {what} must be a timestamp such as 2026-01-01T09:30:00Z, not {Quote(nowText)}");
        }

        var principal = fields.TryGetValue("principal", out var principalNode) ? Fields(principalNode, $"'principal' in {what}", PrincipalKeys) : null;
        var roles = principal is not null && principal.TryGetValue("roles", out var rolesNode) ? Roles(rolesNode, what) : [];
        var run = fields.TryGetValue("run", out var runNode) ? Run(runNode, what) : RunSnapshot.Empty;
        if (tool is null || run is null || roles is null)
        {
            return null;
        }

        return new GateInput
        {
            Agent = Optional("agent") ?? defaultAgent,
            Release = Optional("release"),
            Tool = tool,
            Server = Optional("server"),
            Args = fields.TryGetValue("args", out var args) ? Value(args) : null,
            PrincipalId = principal is not null && principal.TryGetValue("id", out var id) ? Text(id, $"'id' in the principal of {where}") : null,
            PrincipalRoles = roles,
            PrincipalAttributes = principal is not null && principal.TryGetValue("attributes", out var attributes) ? Value(attributes) : null,
            Context = fields.TryGetValue("context", out var context) ? Value(context) : null,
            Run = run,
            Now = now,
        };
    }

    private string[]? Roles(PolicyYaml.Node node, string what)
    {
        if (node is not PolicyYaml.Sequence sequence)
        {
            Problem(node, $"'roles' in the principal of {what} must be a list, not {node.Kind}");
            return null;
        }

        var roles = new string[sequence.Items.Count];
        for (var i = 0; i < roles.Length; i++)
        {
            roles[i] = Text(sequence.Items[i], $"a role in {what}") ?? "";
        }

        return roles;
    }

    /// <summary>
    /// The run before the test's action. Without <c>steps</c> the run has taken one step per listed call; without
    /// <c>tool_calls</c> they are counted from the calls.
    /// </summary>
    private RunSnapshot? Run(PolicyYaml.Node node, string where)
    {
        var what = $"'run' in {where}";
        var fields = Fields(node, what, RunKeys);
        if (fields is null)
        {
            return null;
        }

        var problems = Problems.Count;
        var calls = new List<RecordedCall>();
        if (fields.TryGetValue("calls", out var callsNode))
        {
            if (callsNode is PolicyYaml.Sequence sequence)
            {
                foreach (var item in sequence.Items)
                {
                    if (Call(item, what) is { } call)
                    {
                        calls.Add(call);
                    }
                }
            }
            else
            {
                Problem(callsNode, $"'calls' in {what} must be a list of tool names or {{tool, effect}}, not {callsNode.Kind}");
            }
        }

        var toolCalls = new Dictionary<string, int>(StringComparer.Ordinal);
        if (fields.TryGetValue("tool_calls", out var toolCallsNode))
        {
            if (toolCallsNode is PolicyYaml.Mapping mapping)
            {
                foreach (var (key, value) in mapping.Entries)
                {
                    if (Integer(value, $"'tool_calls' for {Quote(key.Text)} in {what}", 0) is { } n && !toolCalls.TryAdd(key.Text, n))
                    {
                        Problem(key, $"duplicate key {Quote(key.Text)} in tool_calls");
                    }
                }
            }
            else
            {
                Problem(toolCallsNode, $"'tool_calls' in {what} must be a mapping of tool name to count, not {toolCallsNode.Kind}");
            }
        }
        else
        {
            foreach (var call in calls)
            {
                toolCalls[call.Tool] = toolCalls.GetValueOrDefault(call.Tool) + 1;
            }
        }

        int Count(string key) => fields.TryGetValue(key, out var value) ? Integer(value, $"'{key}' in {what}", 0) ?? 0 : 0;
        var snapshot = new RunSnapshot
        {
            Steps = fields.ContainsKey("steps") ? Count("steps") : calls.Count,
            Calls = calls,
            ToolCalls = toolCalls,
            IdenticalCalls = Count("identical_calls"),
            CostUsd = fields.TryGetValue("cost_usd", out var cost) ? Money(cost, $"'cost_usd' in {what}", positive: false) : null,
            Duration = fields.TryGetValue("duration", out var duration) ? Duration(duration, $"'duration' in {what}", positive: false) ?? TimeSpan.Zero : TimeSpan.Zero,
            Depth = Count("depth"),
            Untrusted = fields.TryGetValue("untrusted", out var untrusted) && Flag(untrusted, $"'untrusted' in {what}"),
        };
        return Problems.Count > problems ? null : snapshot;
    }

    private bool Flag(PolicyYaml.Node node, string what)
    {
        if (node is PolicyYaml.Scalar { IsPlain: true, Text: "true" or "false" } scalar)
        {
            return scalar.Text == "true";
        }

        Problem(node, $"{what} must be true or false");
        return false;
    }

    private RecordedCall? Call(PolicyYaml.Node node, string what)
    {
        if (node is PolicyYaml.Scalar)
        {
            return Text(node, $"a call in {what}") is { } tool ? new RecordedCall(tool, Effect.Allow) : null;
        }

        var fields = Fields(node, $"a call in {what}", CallKeys);
        if (fields is null)
        {
            return null;
        }

        var callTool = Required(fields, "tool", node, $"a call in {what}") is { } toolNode ? Text(toolNode, $"'tool' of a call in {what}") : null;
        var effect = fields.TryGetValue("effect", out var effectNode) ? EffectValue(effectNode, "effect", $"a call in {what}") : Effect.Allow;
        return callTool is null || effect is null ? null : new RecordedCall(callTool, effect.Value);
    }

    private object? Value(PolicyYaml.Node node) =>
        PolicyValues.ToValue(node, key => Problem(key, $"duplicate key {Quote(key.Text)}"));
}
