namespace Rein.Client;

/// <summary>A kill switch: while it is on, the gate denies what it names, before any policy is read.</summary>
/// <param name="Scope">One of <see cref="KillSwitchScopes.All"/>.</param>
/// <param name="Target">The tool, agent or release it stops.</param>
/// <param name="Agent">For a tool switch, the one agent it applies to; empty or null for every agent.</param>
/// <param name="Reason">Why it was turned on.</param>
/// <param name="CreatedAt">When it was turned on.</param>
/// <param name="CreatedBy">The id of the key that turned it on.</param>
public sealed record KillSwitch(string Scope, string Target, string? Agent, string? Reason, DateTimeOffset CreatedAt, string? CreatedBy);

/// <summary>What a kill switch stops.</summary>
public static class KillSwitchScopes
{
    /// <summary>A tool, for every agent or for one.</summary>
    public const string Tool = "tool";

    /// <summary>Everything an agent does.</summary>
    public const string Agent = "agent";

    /// <summary>Everything agents of a release do.</summary>
    public const string Release = "release";

    /// <summary>Every scope.</summary>
    public static IReadOnlyList<string> All { get; } = [Tool, Agent, Release];
}
