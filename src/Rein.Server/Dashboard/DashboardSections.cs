using Rein.Core.Identity;

namespace Rein.Server.Dashboard;

/// <summary>One entry of the dashboard's navigation: a capability of the architecture and where its page lives.</summary>
/// <param name="Name">The label in the navigation and the page heading.</param>
/// <param name="Slug">The page's path without the leading slash; empty for the overview.</param>
/// <param name="Summary">What the capability gives the user, as ARCHITECTURE.md describes it.</param>
/// <param name="Available">False until the capability is built; its page then says so instead of showing anything.</param>
/// <param name="Needs">The permission a key needs to see the entry.</param>
/// <param name="AlsoSlug">Another path whose pages belong to the section, such as the decision log under Policies.</param>
public sealed record DashboardSection(string Name, string Slug, string Summary, bool Available, Permission Needs = Permission.Read, string? AlsoSlug = null)
{
    public string Path => "/" + Slug;

    /// <summary>True when a request path is one of the section's pages.</summary>
    public bool Contains(string path) => Slug.Length == 0
        ? path == "/"
        : Under(path, Path) || (AlsoSlug is not null && Under(path, "/" + AlsoSlug));

    private static bool Under(string path, string root) =>
        path.Equals(root, StringComparison.OrdinalIgnoreCase) || path.StartsWith(root + "/", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Every capability in navigation order. The layout draws the navigation from this list and the placeholder page
/// reads its text from it, so building a capability means flipping <see cref="DashboardSection.Available"/> and
/// adding its page, nothing else.
/// </summary>
public static class DashboardSections
{
    public static IReadOnlyList<DashboardSection> All { get; } =
    [
        new("Overview", "", "The project, your key, the server and the state of the audit chain at a glance.", Available: true),
        new("Traces", "traces",
            "OTLP ingest of agent traces (OpenTelemetry GenAI and OpenInference conventions), grouped into runs and sessions with token cost, " +
            "secrets redacted before storage, and a trace explorer.",
            Available: true),
        new("Policies", "policies",
            "Policy-as-code (YAML rules with CEL conditions) and one gate decision before each action (allow, confirm, require approval, deny), " +
            "with budgets that bound autonomy, kill switches and an append-only decision log.",
            Available: true, AlsoSlug: "decisions"),
        new("Approvals", "approvals",
            "Human-in-the-loop queues with an evidence package, approvals bound to the exact arguments, and expiry that fails closed.",
            Available: true),
        new("Tools", "tools",
            "One governed MCP endpoint in front of many MCP servers: filtered tool lists, pinned tool definitions, every call gated and traced, " +
            "secrets injected by the gateway.",
            Available: true),
        new("Memory", "memory",
            "Namespaced agent memory with classes, TTL and decay, provenance of every write, quarantine, point-in-time rollback and erasure.",
            Available: false),
        new("Releases", "releases",
            "Immutable, content-hashed agent bundles (model, prompts, tools, policy, memory rules) with shadow and canary rollouts and automatic rollback.",
            Available: false),
        new("Evaluations", "evaluations",
            "Versioned scenario suites, graders that assert on traces, risk-tiered release gates and regression tests from production traces.",
            Available: false),
        new("Monitoring", "monitoring",
            "Task success, escalation, override and violation rates, cost per successful task, drift, and alert rules with webhooks.",
            Available: false),
        new("Audit", "audit", "The project's hash-chained log of every change of state, and whether the chain still verifies.", Available: true),
        new("Keys", "keys", "The project's API keys: create them, see when they were last used, revoke them.", Available: true, Permission.Administer),
    ];

    /// <summary>A capability that has no page yet, by its slug (case-insensitive, as routes are); null for anything else.</summary>
    public static DashboardSection? Planned(string? slug) =>
        All.FirstOrDefault(s => !s.Available && string.Equals(s.Slug, slug, StringComparison.OrdinalIgnoreCase));
}
