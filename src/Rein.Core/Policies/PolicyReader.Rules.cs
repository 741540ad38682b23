namespace Rein.Core.Policies;

internal sealed partial class PolicyReader
{
    private static readonly string[] RuleKeys = ["name", "tools", "when", "effect", "message", "route", "severity", "redact", "rate_limit"];
    private static readonly string[] RateLimitKeys = ["key", "limit", "per"];

    // A message is an expression; unquoted text written as-is is the usual mistake.
    private const string MessageHint = " (a message is an expression: write text as \"'refund needs finance'\")";

    private PolicyRule[]? Rules(PolicyYaml.Node node)
    {
        if (node is not PolicyYaml.Sequence sequence)
        {
            Problem(node, $"'rules' must be a list of rules (use [] for none), not {node.Kind}");
            return null;
        }

        TooMany(node, sequence.Items.Count, limits.MaxRules, "the policy", "rules");
        var count = Math.Min(sequence.Items.Count, limits.MaxRules);
        var rules = new PolicyRule[count];
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        var valid = true;
        for (var i = 0; i < count; i++)
        {
            var rule = Rule(sequence.Items[i], i + 1);
            if (rule is null)
            {
                valid = false;
                continue;
            }

            if (!lines.TryAdd(rule.Name, rule.Line))
            {
                Problem(sequence.Items[i], $"duplicate rule name {Quote(rule.Name)} (first at line {lines[rule.Name]})");
                valid = false;
            }

            rules[i] = rule;
        }

        return valid ? rules : null;
    }

    private PolicyRule? Rule(PolicyYaml.Node node, int number)
    {
        var where = $"rule {number}";
        if (node is PolicyYaml.Mapping mapping)
        {
            foreach (var (key, value) in mapping.Entries)
            {
                if (key.Text == "name" && value is PolicyYaml.Scalar { IsNull: false } nameScalar)
                {
                    where = $"rule {Quote(nameScalar.Text)}";
                    break;
                }
            }
        }

        var fields = Fields(node, where, RuleKeys);
        if (fields is null)
        {
            return null;
        }

        var problems = Problems.Count;
        var name = Required(fields, "name", node, where) is { } nameNode ? Name(nameNode, "rule name") : null;
        var tools = Required(fields, "tools", node, where) is { } toolsNode ? Globs(toolsNode, $"'tools' in {where}", "tool glob") : null;
        var when = fields.TryGetValue("when", out var whenNode) ? Compile(whenNode, $"'when' in {where}") : null;
        var effect = Required(fields, "effect", node, where) is { } effectNode ? EffectValue(effectNode, "effect", where) : null;
        var message = fields.TryGetValue("message", out var messageNode) ? Compile(messageNode, $"'message' in {where}", MessageHint) : null;
        var route = fields.TryGetValue("route", out var routeNode) ? Name(routeNode, $"'route' in {where}") : null;
        var severity = fields.TryGetValue("severity", out var severityNode) ? SeverityValue(severityNode, where) : null;
        var redact = fields.TryGetValue("redact", out var redactNode) ? Redact(redactNode, where) : [];
        var rateLimit = fields.TryGetValue("rate_limit", out var rateLimitNode) ? RateLimit(rateLimitNode, where) : null;
        if (Problems.Count > problems || name is null || tools is null || effect is null || redact is null)
        {
            return null;
        }

        return new PolicyRule
        {
            Name = name,
            Tools = tools,
            When = when,
            Effect = effect.Value,
            Message = message,
            Route = route,
            Severity = severity,
            Redact = redact,
            RateLimit = rateLimit,
            Line = node.Line,
        };
    }

    private Severity? SeverityValue(PolicyYaml.Node node, string where)
    {
        if (Text(node, $"'severity' in {where}") is not { } name)
        {
            return null;
        }

        if (PolicyNames.TryParseSeverity(name, out var severity))
        {
            return severity;
        }

        Problem(node, $"unknown severity {Quote(name)} for 'severity' in {where}; expected one of {PolicyNames.SeverityList}");
        return null;
    }

    /// <summary>
    /// Argument paths such as <c>args.card.number</c>: <c>args</c> and one or more keys of letters, digits,
    /// <c>_</c> and <c>-</c>.
    /// </summary>
    private string[]? Redact(PolicyYaml.Node node, string where)
    {
        var what = $"'redact' in {where}";
        if (node is not PolicyYaml.Sequence sequence)
        {
            Problem(node, $"{what} must be a list of argument paths such as args.card.number, not {node.Kind}");
            return null;
        }

        if (TooMany(node, sequence.Items.Count, limits.MaxGlobsPerList, what, "paths"))
        {
            return null;
        }

        var paths = new List<string>(sequence.Items.Count);
        foreach (var item in sequence.Items)
        {
            if (Text(item, $"a path in {what}") is not { } path)
            {
                continue;
            }

            if (!IsArgumentPath(path) || path.Length > limits.MaxNameLength)
            {
                Problem(item, $"{Quote(path)} in {what} must be an argument path such as args.card.number " +
                    $"(args, then keys of letters, digits, _ and -; at most {limits.MaxNameLength} characters)");
            }
            else if (!paths.Contains(path))
            {
                paths.Add(path);
            }
        }

        return [.. paths];
    }

    private static bool IsArgumentPath(string path)
    {
        var segments = path.Split('.');
        if (segments.Length < 2 || segments[0] != "args")
        {
            return false;
        }

        for (var i = 1; i < segments.Length; i++)
        {
            var segment = segments[i];
            if (segment.Length == 0)
            {
                return false;
            }

            foreach (var c in segment)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c is not '_' and not '-')
                {
                    return false;
                }
            }
        }

        return true;
    }

    private RateLimitRule? RateLimit(PolicyYaml.Node node, string where)
    {
        var what = $"rate_limit of {where}";
        var fields = Fields(node, what, RateLimitKeys);
        if (fields is null)
        {
            return null;
        }

        var key = Required(fields, "key", node, what) is { } keyNode ? Compile(keyNode, $"'key' in {what}") : null;
        var limit = Required(fields, "limit", node, what) is { } limitNode ? Integer(limitNode, $"'limit' in {what}", 1) : null;
        var per = Required(fields, "per", node, what) is { } perNode ? Duration(perNode, $"'per' in {what}", positive: true) : null;
        return key is null || limit is null || per is null ? null : new RateLimitRule(key, limit.Value, per.Value);
    }
}
