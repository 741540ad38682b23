using System.Globalization;
using Rein.Core.Policies;

namespace Rein.Server.Policies;

/// <summary>What the gate decided for one action before rate limits are counted, with everything the log records.</summary>
internal sealed record Decided
{
    public Effect Effect { get; init; }

    public required IReadOnlyList<DecisionReason> Reasons { get; init; }

    public IReadOnlyList<string> Rules { get; init; } = [];

    public ActivePolicy? Policy { get; init; }

    public PolicyMode? Mode { get; init; }

    public string? Route { get; init; }

    /// <summary>How urgent the approval is, when the effect is require_approval.</summary>
    public Severity Severity { get; init; } = Severity.Medium;

    /// <summary>True when a kill switch decided: nothing else, an approval token included, can change it.</summary>
    public bool Killed { get; init; }

    /// <summary>Argument paths to remove from everything stored: the union over every policy evaluated.</summary>
    public IReadOnlyList<string> Redact { get; init; } = [];

    public IReadOnlyList<RateLimitObligation> RateLimits { get; init; } = [];

    public IReadOnlyList<ShadowDecision> Shadow { get; init; } = [];
}

/// <summary>
/// One decision from the project's gate rules: kill switches first, then every active policy that binds the agent.
/// Enforcing policies decide together (the most restrictive wins); a warn policy alone answers allow and records what
/// it would have done; audit policies are only recorded. With no enforcing or warning policy the unbound-agent effect
/// applies (deny unless configured otherwise). Pure: no I/O, so the writer and a backtest decide the same way.
/// </summary>
internal static class GateDecider
{
    public static Decided Decide(GateRules rules, GateInput input, Effect unboundEffect)
    {
        if (Killed(rules.KillSwitches, input) is { } kill)
        {
            return new Decided { Effect = Effect.Deny, Reasons = [kill], Killed = true };
        }

        List<(ActivePolicy Policy, PolicyDecision Decision)>? enforcing = null;
        List<ShadowDecision>? shadow = null;
        List<string>? redact = null;
        ActivePolicy? warnPolicy = null;
        PolicyDecision? warnDecision = null;
        foreach (var active in rules.Policies)
        {
            if (!active.Policy.BindsAgent(input.Agent))
            {
                continue;
            }

            var decision = PolicyEvaluator.Evaluate(active.Policy, input);
            if (decision.Redact.Count > 0)
            {
                redact ??= [];
                foreach (var path in decision.Redact)
                {
                    if (!redact.Contains(path))
                    {
                        redact.Add(path);
                    }
                }
            }

            switch (active.Policy.Mode)
            {
                case PolicyMode.Enforce:
                    (enforcing ??= []).Add((active, decision));
                    break;
                case PolicyMode.Warn:
                    (shadow ??= []).Add(Shadow(active, decision));
                    if (warnPolicy is null || decision.Effect > warnDecision!.Effect)
                    {
                        (warnPolicy, warnDecision) = (active, decision);
                    }

                    break;
                default:
                    (shadow ??= []).Add(Shadow(active, decision));
                    break;
            }
        }

        if (enforcing is not null)
        {
            return Enforced(enforcing, shadow, redact);
        }

        if (warnPolicy is not null)
        {
            var reasons = warnDecision!.Effect == Effect.Allow
                ? warnDecision.Reasons
                : [new DecisionReason("warn", $"policy '{warnPolicy.Policy.Name}' is in warn mode: it would have answered {warnDecision.Effect.ToName()}"), .. warnDecision.Reasons];
            return new Decided
            {
                Effect = Effect.Allow,
                Reasons = reasons,
                Rules = warnDecision.MatchedRules,
                Policy = warnPolicy,
                Mode = PolicyMode.Warn,
                Redact = redact ?? [],
                Shadow = shadow ?? [],
            };
        }

        return new Decided
        {
            Effect = unboundEffect,
            Reasons = [new DecisionReason("no_policy", $"no active enforce or warn policy binds agent '{input.Agent}'; the gate answers {unboundEffect.ToName()} (Gate:UnboundAgentEffect)")],
            Redact = redact ?? [],
            Shadow = shadow ?? [],
        };
    }

    /// <summary>True when the gate would deny the tool to the agent whatever the arguments: a kill switch, an enforcing
    /// policy that denies it outright, or no policy binding the agent while unbound agents are denied.</summary>
    public static bool DeniesOutright(GateRules rules, string agent, string? release, string tool, Effect unboundEffect)
    {
        if (Killed(rules.KillSwitches, new GateInput { Agent = agent, Release = release, Tool = tool }) is not null)
        {
            return true;
        }

        var bound = false;
        foreach (var active in rules.Policies)
        {
            if (!active.Policy.BindsAgent(agent) || active.Policy.Mode == PolicyMode.Audit)
            {
                continue;
            }

            bound = true;
            if (active.Policy.Mode == PolicyMode.Enforce && PolicyEvaluator.DeniesOutright(active.Policy, tool))
            {
                return true;
            }
        }

        return !bound && unboundEffect == Effect.Deny;
    }

    private static Decided Enforced(List<(ActivePolicy Policy, PolicyDecision Decision)> enforcing, List<ShadowDecision>? shadow, List<string>? redact)
    {
        var effect = Effect.Allow;
        foreach (var (_, decision) in enforcing)
        {
            if (decision.Effect > effect)
            {
                effect = decision.Effect;
            }
        }

        // Rules are evaluated in the order policies were loaded (by name), so the deciding policy is deterministic.
        ActivePolicy? deciding = null;
        string? route = null;
        var severity = Severity.Low;
        var reasons = new List<DecisionReason>();
        var rules = new List<string>();
        var rateLimits = new List<RateLimitObligation>();
        foreach (var (policy, decision) in enforcing)
        {
            if (decision.Effect == effect)
            {
                deciding ??= policy;
                route ??= decision.Route;
                severity = decision.Severity > severity ? decision.Severity : severity;
                reasons.AddRange(decision.Reasons);
                rules.AddRange(decision.MatchedRules);
            }

            rateLimits.AddRange(decision.RateLimits);
        }

        return new Decided
        {
            Effect = effect,
            Reasons = reasons,
            Rules = rules,
            Policy = deciding,
            Mode = PolicyMode.Enforce,
            Route = effect == Effect.RequireApproval ? route : null,
            Severity = severity,
            Redact = redact ?? [],
            // A denied action is not counted against rate limits: it does not happen.
            RateLimits = effect == Effect.Deny ? [] : rateLimits,
            Shadow = shadow ?? [],
        };
    }

    private static ShadowDecision Shadow(ActivePolicy active, PolicyDecision decision) =>
        new(active.Policy.Name, active.Version, active.Policy.Mode.ToName(), decision.Effect.ToName(), decision.MatchedRules);

    private static DecisionReason? Killed(IReadOnlyList<KillSwitch> switches, GateInput input)
    {
        foreach (var s in switches)
        {
            var hit = s.Scope switch
            {
                KillSwitchScopes.Tool => s.Target == input.Tool && (s.Agent.Length == 0 || s.Agent == input.Agent),
                KillSwitchScopes.Agent => s.Target == input.Agent,
                KillSwitchScopes.Release => input.Release is not null && s.Target == input.Release,
                _ => false,
            };
            if (hit)
            {
                var what = s.Scope switch
                {
                    KillSwitchScopes.Tool when s.Agent.Length > 0 => $"tool '{s.Target}' is stopped for agent '{s.Agent}'",
                    KillSwitchScopes.Tool => $"tool '{s.Target}' is stopped",
                    KillSwitchScopes.Agent => $"agent '{s.Target}' is stopped",
                    _ => $"release '{s.Target}' is stopped",
                };
                var by = s.CreatedBy is null ? "" : " by " + s.CreatedBy;
                var why = string.IsNullOrEmpty(s.Reason) ? "" : ": " + s.Reason;
                return new DecisionReason("kill." + s.Scope, string.Create(CultureInfo.InvariantCulture, $"{what} by a kill switch set{by} at {s.CreatedAt:u}{why}"));
            }
        }

        return null;
    }
}

/// <summary>The scopes a kill switch can have, as stored and on the wire.</summary>
public static class KillSwitchScopes
{
    public const string Tool = "tool";
    public const string Agent = "agent";
    public const string Release = "release";
}
