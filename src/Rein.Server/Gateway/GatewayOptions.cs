namespace Rein.Server.Gateway;

/// <summary>The tool gateway: bounds on the <c>/mcp</c> endpoint, its sessions and the calls it forwards, and how
/// upstream servers are watched (section <c>Gateway</c>). A server's own timeout is set with the server.</summary>
public sealed class GatewayOptions : IReinSettings
{
    /// <summary>Largest JSON-RPC message an agent may send to <c>/mcp</c>, in bytes.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest result an upstream may return for one call, in bytes of JSON; a larger one is an error result.</summary>
    public int MaxResultBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>MCP sessions one server keeps at once, all projects together; an <c>initialize</c> beyond it is refused
    /// (503 with Retry-After).</summary>
    public int MaxSessions { get; set; } = 1000;

    /// <summary>Sessions one project holds at most, so one project cannot take the sessions of all (429 beyond it). A
    /// tenth of <see cref="MaxSessions"/>: ten projects at their bound still leave room.</summary>
    public int MaxSessionsPerProject { get; set; } = 100;

    /// <summary>Sessions one key holds at most, so one agent opening session after session cannot take its project's
    /// share (429 beyond it). An agent needs one session per conversation it holds at once.</summary>
    public int MaxSessionsPerKey { get; set; } = 25;

    /// <summary>A session nobody used for this long (no request, no open stream) is closed and its run ended; the
    /// client starts a new one. Short, because MCP clients often leave without ending their session (the TypeScript
    /// SDK's <c>close()</c> sends no DELETE), and such a session holds its key's share and leaves its run running.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a <c>tools/call</c> that needs an approval waits for the decision (sending progress) before it
    /// answers with the pending request. 0: answer at once.</summary>
    public TimeSpan ApprovalWait { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How long a tool list read from an upstream is reused before it is read again.</summary>
    public TimeSpan ToolListTtl { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Failures in a row after which an upstream's circuit opens and calls to it fail at once.</summary>
    public int BreakerThreshold { get; set; } = 5;

    /// <summary>How long an open circuit stays open before one call may try the upstream again.</summary>
    public TimeSpan BreakerCoolDown { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Calls one server forwards to upstreams at once; more wait.</summary>
    public int MaxConcurrentCalls { get; set; } = 256;

    /// <summary>How often idle sessions are looked for: a tenth of the idle time, at least a second.</summary>
    internal TimeSpan SweepInterval => TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, SessionIdleTimeout.Ticks / 10));

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        foreach (var (key, value, min, max) in new (string, int, int, int)[]
        {
            (nameof(MaxRequestBytes), MaxRequestBytes, 1024, 64 * 1024 * 1024),
            (nameof(MaxResultBytes), MaxResultBytes, 1024, 256 * 1024 * 1024),
            (nameof(MaxSessions), MaxSessions, 1, 1_000_000),
            (nameof(MaxSessionsPerProject), MaxSessionsPerProject, 1, MaxSessions),
            (nameof(MaxSessionsPerKey), MaxSessionsPerKey, 1, MaxSessionsPerProject),
            (nameof(BreakerThreshold), BreakerThreshold, 1, 1000),
            (nameof(MaxConcurrentCalls), MaxConcurrentCalls, 1, 100_000),
        })
        {
            if (value < min || value > max)
            {
                yield return (key, $"must be between {min} and {max}");
            }
        }

        foreach (var (key, value, min, max) in new (string, TimeSpan, TimeSpan, TimeSpan)[]
        {
            (nameof(SessionIdleTimeout), SessionIdleTimeout, TimeSpan.FromSeconds(10), TimeSpan.FromDays(1)),
            (nameof(ApprovalWait), ApprovalWait, TimeSpan.Zero, TimeSpan.FromMinutes(30)),
            (nameof(ToolListTtl), ToolListTtl, TimeSpan.Zero, TimeSpan.FromHours(1)),
            (nameof(BreakerCoolDown), BreakerCoolDown, TimeSpan.FromMilliseconds(10), TimeSpan.FromHours(1)),
        })
        {
            if (value < min || value > max)
            {
                yield return (key, $"must be between {min} and {max}");
            }
        }
    }
}
