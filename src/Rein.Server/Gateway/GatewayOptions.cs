namespace Rein.Server.Gateway;

/// <summary>The tool gateway: bounds on the <c>/mcp</c> endpoint, its sessions and the calls it forwards, and how
/// upstream servers are watched (section <c>Gateway</c>). A server's own timeout is set with the server.</summary>
public sealed class GatewayOptions : IReinSettings
{
    /// <summary>Largest JSON-RPC message an agent may send to <c>/mcp</c>, in bytes.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest result an upstream may return for one call, in bytes of JSON; a larger one is an error result.</summary>
    public int MaxResultBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>MCP sessions one server keeps at once; an <c>initialize</c> beyond it is refused (503).</summary>
    public int MaxSessions { get; set; } = 1000;

    /// <summary>A session nobody used for this long is closed; the client starts a new one.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromMinutes(30);

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

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        foreach (var (key, value, min, max) in new (string, int, int, int)[]
        {
            (nameof(MaxRequestBytes), MaxRequestBytes, 1024, 64 * 1024 * 1024),
            (nameof(MaxResultBytes), MaxResultBytes, 1024, 256 * 1024 * 1024),
            (nameof(MaxSessions), MaxSessions, 1, 1_000_000),
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
