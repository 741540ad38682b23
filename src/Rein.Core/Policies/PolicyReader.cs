using System.Buffers;
using Rein.Core.Expressions;

namespace Rein.Core.Policies;

/// <summary>
/// Reads a policy file's YAML tree into a <see cref="Policy"/>, collecting every problem instead of stopping at the
/// first: a security engineer fixing a policy should see all of them at once.
/// </summary>
internal sealed partial class PolicyReader(string source, string file, PolicyLimits limits)
{
    private static readonly string[] PolicyKeys = ["name", "description", "agents", "mode", "default", "budgets", "approval_expiry", "rules", "tests"];
    private static readonly string[] BudgetKeys = ["max_steps", "max_calls_per_tool", "max_identical_calls", "max_cost_usd", "max_duration", "max_depth", "on_exceed"];

    private static readonly SearchValues<char> PolicyNameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz0123456789._-");
    private static readonly SearchValues<char> NameChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._:/-");
    private static readonly SearchValues<char> GlobChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:/-*?");

    private bool _needsRunCost;

    public List<PolicyProblem> Problems { get; } = [];

    public Policy? Read()
    {
        var root = PolicyYaml.Read(source, file, Problems);
        if (root is null)
        {
            return null;
        }

        var fields = Fields(root, "the policy", PolicyKeys);
        if (fields is null)
        {
            return null;
        }

        var name = Required(fields, "name", root, "the policy") is { } nameNode ? PolicyName(nameNode) : null;
        var description = fields.TryGetValue("description", out var descriptionNode) ? Text(descriptionNode, "'description'") : null;
        var agents = Required(fields, "agents", root, "the policy") is { } agentsNode ? Globs(agentsNode, "'agents'", "agent glob") : null;
        var mode = PolicyMode.Enforce;
        if (fields.TryGetValue("mode", out var modeNode) && Text(modeNode, "'mode'") is { } modeName && !PolicyNames.TryParseMode(modeName, out mode))
        {
            Problem(modeNode, $"unknown mode {Quote(modeName)}; expected one of {PolicyNames.ModeList}");
        }

        var defaultEffect = Required(fields, "default", root, "the policy") is { } defaultNode ? EffectValue(defaultNode, "default", "the policy") : null;
        var budgets = fields.TryGetValue("budgets", out var budgetsNode) ? Budgets(budgetsNode) : new Budgets();
        var approvalExpiry = fields.TryGetValue("approval_expiry", out var expiryNode) ? ApprovalExpiry(expiryNode) : null;
        var rules = Required(fields, "rules", root, "the policy") is { } rulesNode ? Rules(rulesNode) : null;
        var tests = fields.TryGetValue("tests", out var testsNode) ? Tests(testsNode, agents) : [];
        if (Problems.Count > 0 || name is null || agents is null || defaultEffect is null || budgets is null || rules is null || tests is null)
        {
            return null;
        }

        return new Policy
        {
            Name = name,
            Description = description,
            Agents = agents,
            Mode = mode,
            Default = defaultEffect.Value,
            Budgets = budgets,
            ApprovalExpiry = approvalExpiry,
            Rules = rules,
            Tests = tests,
            Source = source,
            Hash = PolicyParser.Hash(source),
            NeedsRunCost = _needsRunCost || budgets.MaxCostUsd is not null,
        };
    }

    private Budgets? Budgets(PolicyYaml.Node node)
    {
        var fields = Fields(node, "budgets", BudgetKeys);
        if (fields is null)
        {
            return null;
        }

        var perTool = new Dictionary<string, int>(StringComparer.Ordinal);
        if (fields.TryGetValue("max_calls_per_tool", out var perToolNode))
        {
            if (perToolNode is not PolicyYaml.Mapping mapping)
            {
                Problem(perToolNode, $"'max_calls_per_tool' in budgets must be a mapping of tool glob to count, not {perToolNode.Kind}");
            }
            else
            {
                TooMany(mapping, mapping.Entries.Count, limits.MaxGlobsPerList, "'max_calls_per_tool' in budgets", "tool globs");
                foreach (var (key, value) in mapping.Entries.Take(limits.MaxGlobsPerList))
                {
                    if (IsGlob(key, key.Text, "tool glob") && Integer(value, $"'max_calls_per_tool' for {Quote(key.Text)}", 1) is { } max &&
                        !perTool.TryAdd(key.Text, max))
                    {
                        Problem(key, $"duplicate key {Quote(key.Text)} in max_calls_per_tool");
                    }
                }
            }
        }

        var onExceed = Effect.Deny;
        if (fields.TryGetValue("on_exceed", out var onExceedNode))
        {
            onExceed = EffectValue(onExceedNode, "on_exceed", "budgets") ?? Effect.Deny;
        }

        return new Budgets
        {
            MaxSteps = Optional(fields, "max_steps", 1),
            MaxCallsPerTool = perTool,
            MaxIdenticalCalls = Optional(fields, "max_identical_calls", 1),
            MaxCostUsd = fields.TryGetValue("max_cost_usd", out var costNode) ? Money(costNode, "'max_cost_usd' in budgets", positive: true) : null,
            MaxDuration = fields.TryGetValue("max_duration", out var durationNode) ? Duration(durationNode, "'max_duration' in budgets", positive: true) : null,
            MaxDepth = Optional(fields, "max_depth", 0),
            OnExceed = onExceed,
        };

        int? Optional(Dictionary<string, PolicyYaml.Node> fields, string key, int min) =>
            fields.TryGetValue(key, out var value) ? Integer(value, $"'{key}' in budgets", min) : null;
    }

    private TimeSpan? ApprovalExpiry(PolicyYaml.Node node)
    {
        if (node is PolicyYaml.Scalar { IsNull: false } scalar && PolicyValues.TryDuration(scalar.Text, out var value) &&
            value >= Policy.MinApprovalExpiry && value <= Policy.MaxApprovalExpiry)
        {
            return value;
        }

        Problem(node, $"'approval_expiry' must be a duration between {PolicyValues.FormatDuration(Policy.MinApprovalExpiry)} and " +
            $"{PolicyValues.FormatDuration(Policy.MaxApprovalExpiry)} (7 days) such as 30m or 4h, not {node.Kind}");
        return null;
    }

    private Dictionary<string, PolicyYaml.Node>? Fields(PolicyYaml.Node node, string where, string[] allowed)
    {
        if (node is not PolicyYaml.Mapping mapping)
        {
            Problem(node, $"{where} must be a mapping, not {node.Kind}");
            return null;
        }

        var fields = new Dictionary<string, PolicyYaml.Node>(StringComparer.Ordinal);
        foreach (var (key, value) in mapping.Entries)
        {
            if (Array.IndexOf(allowed, key.Text) < 0)
            {
                Problem(key, $"unknown key {Quote(key.Text)} in {where}; expected one of {string.Join(", ", allowed)}");
            }
            else if (!fields.TryAdd(key.Text, value))
            {
                Problem(key, $"duplicate key {Quote(key.Text)} in {where}");
            }
        }

        return fields;
    }

    private PolicyYaml.Node? Required(Dictionary<string, PolicyYaml.Node> fields, string key, PolicyYaml.Node owner, string where)
    {
        if (fields.TryGetValue(key, out var value))
        {
            return value;
        }

        Problem(owner, $"missing key '{key}' in {where}");
        return null;
    }

    private string? Text(PolicyYaml.Node node, string what)
    {
        if (node is PolicyYaml.Scalar scalar && !scalar.IsNull)
        {
            return scalar.Text;
        }

        Problem(node, $"{what} must be text, not {node.Kind}");
        return null;
    }

    private string? PolicyName(PolicyYaml.Node node)
    {
        if (Text(node, "'name'") is not { } name)
        {
            return null;
        }

        if (name.Length == 0 || name.Length > limits.MaxNameLength || !char.IsAsciiLetterOrDigit(name[0]) ||
            name.AsSpan().ContainsAnyExcept(PolicyNameChars))
        {
            Problem(node, $"policy name {Quote(name)} must be 1 to {limits.MaxNameLength} characters of a-z, 0-9, '.', '_' and '-', " +
                "starting with a letter or digit");
            return null;
        }

        return name;
    }

    /// <summary>Rule names and routes: 1 to MaxNameLength letters, digits, spaces and <c>. _ : / -</c>.</summary>
    private string? Name(PolicyYaml.Node node, string what)
    {
        if (Text(node, what) is not { } name)
        {
            return null;
        }

        if (name.Length == 0 || name.Length > limits.MaxNameLength || name.AsSpan().ContainsAnyExcept(NameChars) ||
            name[0] == ' ' || name[^1] == ' ')
        {
            Problem(node, $"{what} {Quote(name)} must be 1 to {limits.MaxNameLength} characters of letters, digits, spaces " +
                "and . _ : / -, without spaces at either end");
            return null;
        }

        return name;
    }

    private string[]? Globs(PolicyYaml.Node node, string what, string kind)
    {
        if (node is not PolicyYaml.Sequence sequence)
        {
            Problem(node, $"{what} must be a list of {kind}s, not {node.Kind}");
            return null;
        }

        if (sequence.Items.Count == 0)
        {
            Problem(node, $"{what} must list at least one {kind}");
            return null;
        }

        if (TooMany(node, sequence.Items.Count, limits.MaxGlobsPerList, what, kind + "s"))
        {
            return null;
        }

        var globs = new string[sequence.Items.Count];
        var valid = true;
        for (var i = 0; i < globs.Length; i++)
        {
            var item = sequence.Items[i];
            if (Text(item, $"a {kind} in {what}") is { } glob && IsGlob(item, glob, kind))
            {
                globs[i] = glob;
            }
            else
            {
                valid = false;
            }
        }

        return valid ? globs : null;
    }

    private bool IsGlob(PolicyYaml.Node node, string glob, string kind)
    {
        if (glob.Length == 0 || glob.Length > limits.MaxNameLength || glob.AsSpan().ContainsAnyExcept(GlobChars))
        {
            Problem(node, $"{kind} {Quote(glob)} must be 1 to {limits.MaxNameLength} characters of letters, digits, . _ : / - " +
                "and the wildcards * and ?");
            return false;
        }

        return true;
    }

    private Effect? EffectValue(PolicyYaml.Node node, string key, string where)
    {
        if (Text(node, $"'{key}' in {where}") is not { } name)
        {
            return null;
        }

        if (PolicyNames.TryParseEffect(name, out var effect))
        {
            return effect;
        }

        Problem(node, $"unknown effect {Quote(name)} for '{key}' in {where}; expected one of {PolicyNames.EffectList}");
        return null;
    }

    private int? Integer(PolicyYaml.Node node, string what, int min)
    {
        if (node is PolicyYaml.Scalar scalar && PolicyValues.TryInteger(scalar, out var value) && value >= min && value <= int.MaxValue)
        {
            return (int)value;
        }

        Problem(node, $"{what} must be a whole number of at least {min}, not {node.Kind}");
        return null;
    }

    private decimal? Money(PolicyYaml.Node node, string what, bool positive)
    {
        if (node is PolicyYaml.Scalar scalar && PolicyValues.TryDecimal(scalar, out var value) && (positive ? value > 0 : value >= 0))
        {
            return value;
        }

        Problem(node, $"{what} must be a {(positive ? "positive" : "non-negative")} number of US dollars such as 2.5, not {node.Kind}");
        return null;
    }

    private TimeSpan? Duration(PolicyYaml.Node node, string what, bool positive)
    {
        if (node is PolicyYaml.Scalar { IsNull: false } scalar && PolicyValues.TryDuration(scalar.Text, out var value) &&
            (!positive || value > TimeSpan.Zero))
        {
            return value;
        }

        Problem(node, $"{what} must be a {(positive ? "positive " : "")}duration such as 90s, 15m, 1h30m or 2h, not {node.Kind}");
        return null;
    }

    private CompiledExpression? Compile(PolicyYaml.Node node, string what, string? hint = null)
    {
        if (node is not PolicyYaml.Scalar { IsNull: false } scalar)
        {
            Problem(node, $"{what} must be an expression, not {node.Kind}");
            return null;
        }

        var (line, column) = PolicyYaml.ContentStart(scalar, source);
        try
        {
            var expression = Expression.Compile(scalar.Text, PolicyEnvironment.Instance, limits.Expressions, new SourceOrigin(line, column));
            _needsRunCost |= expression.Selections.Contains("run.cost") || expression.Selections.Contains("run");
            return expression;
        }
        catch (ExpressionCompileException e)
        {
            // A literal block's later lines lost their indentation when YAML read them; the expression's columns there
            // count from the block's indentation.
            var indent = scalar.Style == YamlDotNet.Core.ScalarStyle.Literal ? column - 1 : 0;
            hint = scalar.Style == YamlDotNet.Core.ScalarStyle.Plain ? hint : null;
            foreach (var problem in e.Problems)
            {
                var problemColumn = problem.Line > line ? problem.Column + indent : problem.Column;
                Problems.Add(new PolicyProblem(file, problem.Line, problemColumn, $"{what}: {problem.Message}{hint}"));
            }

            if (e.Problems.Count == 0)
            {
                Problem(node, $"{what}: {e.Message}");
            }

            return null;
        }
    }

    private bool TooMany(PolicyYaml.Node node, int count, int limit, string what, string items)
    {
        if (count <= limit)
        {
            return false;
        }

        Problem(node, $"{what} has {count} {items}; the limit is {limit}");
        return true;
    }

    private void Problem(PolicyYaml.Node node, string message) => Problems.Add(new PolicyProblem(file, node.Line, node.Column, message));

    /// <summary>Text from the file in a message, cut so a long or hostile value cannot flood the report.</summary>
    internal static string Quote(string text) => "'" + (text.Length <= 64 ? text : text[..61] + "...") + "'";
}
