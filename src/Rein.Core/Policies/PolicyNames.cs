namespace Rein.Core.Policies;

/// <summary>The names effects and modes have in policy files, the API and the CLI: allow, confirm, require_approval, deny;
/// enforce, warn, audit.</summary>
public static class PolicyNames
{
    internal const string EffectList = "allow, confirm, require_approval, deny";

    internal const string ModeList = "enforce, warn, audit";

    internal const string SeverityList = "low, medium, high, critical";

    public static string ToName(this Effect effect) => effect switch
    {
        Effect.Allow => "allow",
        Effect.Confirm => "confirm",
        Effect.RequireApproval => "require_approval",
        Effect.Deny => "deny",
        _ => throw new ArgumentOutOfRangeException(nameof(effect), effect, "unknown effect"),
    };

    public static bool TryParseEffect(string? name, out Effect effect)
    {
        switch (name)
        {
            case "allow":
                effect = Effect.Allow;
                return true;
            case "confirm":
                effect = Effect.Confirm;
                return true;
            case "require_approval":
                effect = Effect.RequireApproval;
                return true;
            case "deny":
                effect = Effect.Deny;
                return true;
            default:
                effect = default;
                return false;
        }
    }

    public static string ToName(this PolicyMode mode) => mode switch
    {
        PolicyMode.Enforce => "enforce",
        PolicyMode.Warn => "warn",
        PolicyMode.Audit => "audit",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown mode"),
    };

    public static bool TryParseMode(string? name, out PolicyMode mode)
    {
        switch (name)
        {
            case "enforce":
                mode = PolicyMode.Enforce;
                return true;
            case "warn":
                mode = PolicyMode.Warn;
                return true;
            case "audit":
                mode = PolicyMode.Audit;
                return true;
            default:
                mode = default;
                return false;
        }
    }

    public static string ToName(this Severity severity) => severity switch
    {
        Severity.Low => "low",
        Severity.Medium => "medium",
        Severity.High => "high",
        Severity.Critical => "critical",
        _ => throw new ArgumentOutOfRangeException(nameof(severity), severity, "unknown severity"),
    };

    public static bool TryParseSeverity(string? name, out Severity severity)
    {
        switch (name)
        {
            case "low":
                severity = Severity.Low;
                return true;
            case "medium":
                severity = Severity.Medium;
                return true;
            case "high":
                severity = Severity.High;
                return true;
            case "critical":
                severity = Severity.Critical;
                return true;
            default:
                severity = default;
                return false;
        }
    }
}
