using System.Collections.Frozen;

namespace Rein.Core.Policies;

/// <summary>
/// What the evaluator precomputes from a policy: tool names listed exactly are one hash lookup for all rules, rules
/// with wildcards keep compiled globs, and default reason messages are made once.
/// </summary>
internal sealed class PolicyPlan
{
    private static readonly int[] None = [];

    private readonly Glob[] _agents;
    private readonly FrozenDictionary<string, int[]> _exactTools;
    private readonly int[] _wildcardRules;
    private readonly Glob[][] _wildcardGlobs;

    public PolicyPlan(Policy policy)
    {
        _agents = new Glob[policy.Agents.Count];
        for (var i = 0; i < _agents.Length; i++)
        {
            _agents[i] = Glob.Compile(policy.Agents[i]);
        }

        var rules = policy.Rules;
        Rules = new PolicyRule[rules.Count];
        MatchedMessages = new string[rules.Count];
        var exact = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var wildcardRules = new List<int>();
        _wildcardGlobs = new Glob[rules.Count][];
        for (var r = 0; r < rules.Count; r++)
        {
            var rule = rules[r];
            Rules[r] = rule;
            MatchedMessages[r] = $"rule {rule.Name} matched";
            var globs = new List<Glob>();
            foreach (var tool in rule.Tools)
            {
                var glob = Glob.Compile(tool);
                if (glob.IsExact)
                {
                    if (!exact.TryGetValue(tool, out var list))
                    {
                        exact[tool] = list = [];
                    }

                    if (list.Count == 0 || list[^1] != r)
                    {
                        list.Add(r);
                    }
                }
                else
                {
                    globs.Add(glob);
                }
            }

            _wildcardGlobs[r] = [.. globs];
            if (globs.Count > 0)
            {
                wildcardRules.Add(r);
            }
        }

        _exactTools = exact.ToFrozenDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
        _wildcardRules = [.. wildcardRules];

        var budgets = policy.Budgets ?? new Budgets();
        Budgets = budgets;
        CallsPerTool = new (Glob, string, int)[budgets.MaxCallsPerTool.Count];
        var c = 0;
        foreach (var (pattern, max) in budgets.MaxCallsPerTool)
        {
            CallsPerTool[c++] = (Glob.Compile(pattern), pattern, max);
        }

        DefaultMessage = $"no rule matched; default {policy.Default.ToName()}";
    }

    public PolicyRule[] Rules { get; }

    /// <summary>The reason message of a rule without a <c>message</c> expression.</summary>
    public string[] MatchedMessages { get; }

    public Budgets Budgets { get; }

    /// <summary><c>max_calls_per_tool</c> in file order: the first glob matching the tool applies.</summary>
    public (Glob Glob, string Pattern, int Max)[] CallsPerTool { get; }

    public string DefaultMessage { get; }

    public bool BindsAgent(string agent)
    {
        foreach (var glob in _agents)
        {
            if (glob.Matches(agent))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Walks the rules whose tools match, in file order: the rules naming the tool exactly merged with the rules that
    /// have wildcards, both ascending.
    /// </summary>
    public ToolMatches Match(string tool) =>
        new(this, _exactTools.TryGetValue(tool, out var exact) ? exact : None, tool);

    internal struct ToolMatches(PolicyPlan plan, int[] exact, string tool)
    {
        private int _exact;
        private int _wildcard;

        /// <summary>The next matching rule's index, or -1.</summary>
        public int Next()
        {
            var wildcards = plan._wildcardRules;
            while (true)
            {
                var nextExact = _exact < exact.Length ? exact[_exact] : int.MaxValue;
                var nextWildcard = _wildcard < wildcards.Length ? wildcards[_wildcard] : int.MaxValue;
                if (nextExact == int.MaxValue && nextWildcard == int.MaxValue)
                {
                    return -1;
                }

                if (nextExact <= nextWildcard)
                {
                    _exact++;
                    if (nextExact == nextWildcard)
                    {
                        _wildcard++;
                    }

                    return nextExact;
                }

                _wildcard++;
                foreach (var glob in plan._wildcardGlobs[nextWildcard])
                {
                    if (glob.Matches(tool))
                    {
                        return nextWildcard;
                    }
                }
            }
        }
    }
}
