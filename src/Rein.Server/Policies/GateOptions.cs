using Rein.Core.Policies;

namespace Rein.Server.Policies;

/// <summary>The gate's bounds, queue and behaviour for agents no policy binds (section <c>Gate</c>).</summary>
public sealed class GateOptions : IReinSettings
{
    /// <summary>A gate request's body. Tool arguments are small; 64 KiB holds a long email body with room to spare.</summary>
    public int MaxRequestBytes { get; set; } = 64 * 1024;

    /// <summary>Nesting of arguments and context; deeper JSON is refused before it is parsed further.</summary>
    public int MaxJsonDepth { get; set; } = 32;

    /// <summary>Decisions waiting to be recorded. When full, requests are answered deny (fail closed) with Retry-After.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Decisions of one project waiting at most; beyond it that project's requests are answered deny
    /// (<c>gate.unavailable</c>) while other projects are still decided. A quarter of <see cref="QueueCapacity"/>.</summary>
    public int MaxQueuedPerProject { get; set; } = 2_500;

    /// <summary>Decisions of one key waiting at most, so one agent in a loop cannot take its project's share.</summary>
    public int MaxQueuedPerKey { get; set; } = 1_000;

    /// <summary>Decisions recorded in one transaction: large enough to amortise the commit under load.</summary>
    public int MaxDecisionsPerTransaction { get; set; } = 500;

    /// <summary>How long a request waits for its decision to be recorded before it is answered deny.</summary>
    public TimeSpan CommitTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>What an agent that no enforcing or warning policy binds gets: deny (fail closed) unless set otherwise.</summary>
    public string UnboundAgentEffect { get; set; } = "deny";

    /// <summary>Earlier calls of a run kept for sequences, per-tool and identical-call budgets: the most recent ones.</summary>
    public int MaxRecordedCalls { get; set; } = 1_000;

    /// <summary>Runs whose budget state the gate keeps in memory between decisions (least recently used dropped
    /// first); a run not kept is read back from the database on its next decision. 0 keeps none.</summary>
    public int RunCacheSize { get; set; } = 10_000;

    /// <summary>Whether each decision is also written as a span into the run's trace (when a trace is known).</summary>
    public bool WriteSpans { get; set; } = true;

    /// <summary>Decisions a backtest replays at most.</summary>
    public int MaxBacktestDecisions { get; set; } = 100_000;

    internal Effect UnboundEffect => PolicyNames.TryParseEffect(UnboundAgentEffect, out var effect) ? effect : Effect.Deny;

    public IEnumerable<(string Key, string Problem)> Validate()
    {
        foreach (var (key, value, min, max) in new (string, int, int, int)[]
        {
            (nameof(MaxRequestBytes), MaxRequestBytes, 1024, 16 * 1024 * 1024),
            (nameof(MaxJsonDepth), MaxJsonDepth, 2, 64),
            (nameof(QueueCapacity), QueueCapacity, 1, 1_000_000),
            (nameof(MaxQueuedPerProject), MaxQueuedPerProject, 1, QueueCapacity),
            (nameof(MaxQueuedPerKey), MaxQueuedPerKey, 1, MaxQueuedPerProject),
            (nameof(MaxDecisionsPerTransaction), MaxDecisionsPerTransaction, 1, 10_000),
            (nameof(MaxRecordedCalls), MaxRecordedCalls, 1, 100_000),
            (nameof(RunCacheSize), RunCacheSize, 0, 1_000_000),
            (nameof(MaxBacktestDecisions), MaxBacktestDecisions, 1, 10_000_000),
        })
        {
            if (value < min || value > max)
            {
                yield return (key, $"must be between {min} and {max}");
            }
        }

        if (CommitTimeout <= TimeSpan.Zero || CommitTimeout > TimeSpan.FromMinutes(1))
        {
            yield return (nameof(CommitTimeout), "must be more than 0 and at most 1 minute");
        }

        if (!PolicyNames.TryParseEffect(UnboundAgentEffect, out _))
        {
            yield return (nameof(UnboundAgentEffect), "must be allow, confirm, require_approval or deny");
        }
    }
}
