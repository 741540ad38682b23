using Rein.Core.Policies;

namespace Rein.Server.Policies;

/// <summary>One call a run made, as the gate keeps it: the step that made it, the tool, the effect and a short arguments hash.</summary>
internal readonly record struct RunCall(long Seq, string Tool, Effect Effect, string Hash);

/// <summary>
/// One run's budget state: its step count and most recent calls, advanced call by call as the gate decides the run's
/// actions in order. The writer keeps it between transactions while the run's step count in the database says nobody
/// else moved the run, and reloads it otherwise.
/// </summary>
internal sealed class RunBudgetState
{
    // Kept up to date call by call, so a decision reads counts instead of walking the run's calls.
    private readonly Queue<RunCall> _calls;
    private readonly List<RecordedCall> _recorded;
    private readonly Dictionary<string, int> _perTool = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tool, string Hash), int> _identical = [];
    private readonly Dictionary<string, int> _notDenied = new(StringComparer.Ordinal);
    private readonly List<RunCall> _fresh = [];
    private readonly int _maxCalls;

    /// <param name="row">The run's row, as the batch's step increment left it.</param>
    /// <param name="steps">The run's steps before this batch.</param>
    /// <param name="calls">The run's most recent calls, oldest first.</param>
    /// <param name="maxCalls">How many recent calls to keep.</param>
    public RunBudgetState(GateRunRow row, long steps, IEnumerable<RunCall> calls, int maxCalls)
    {
        RunId = row.RunId;
        Steps = steps;
        StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.StartedAt);
        Depth = (int)row.Depth;
        _maxCalls = maxCalls;
        _calls = new Queue<RunCall>();
        _recorded = [];
        foreach (var call in calls)
        {
            Add(call);
        }

        Trim();
    }

    public string RunId { get; }

    /// <summary>The run has read content flagged as possible prompt injection (<c>run.untrusted</c>).</summary>
    public bool Untrusted { get; set; }

    public DateTimeOffset StartedAt { get; }

    public int Depth { get; }

    /// <summary>Steps the run has taken, the calls recorded in this state included.</summary>
    public long Steps { get; private set; }

    /// <summary>Tools the run's kept calls used without being denied: what <c>run.called</c> looks at.</summary>
    public IReadOnlyCollection<string> CalledTools => _notDenied.Keys;

    /// <summary>What the run looks like to the action about to be decided. The snapshot shares this state's lists:
    /// read it before <see cref="Record"/> is called for the action.</summary>
    public RunSnapshot Snapshot(string tool, string argsHash, DateTimeOffset now, decimal? cost) => new()
    {
        Steps = (int)Math.Min(int.MaxValue, Steps),
        Calls = _recorded,
        ToolCalls = _perTool,
        IdenticalCalls = _identical.GetValueOrDefault((tool, Short(argsHash))),
        CostUsd = cost,
        Duration = now > StartedAt ? now - StartedAt : TimeSpan.Zero,
        Depth = Depth,
        Untrusted = Untrusted,
    };

    public void Record(string tool, Effect effect, string argsHash)
    {
        var call = new RunCall(++Steps, tool, effect, Short(argsHash));
        _fresh.Add(call);
        Add(call);
        Trim();
    }

    /// <summary>The calls recorded since the last time, to be appended to the run's rows.</summary>
    public List<RunCall> TakeFresh()
    {
        var fresh = new List<RunCall>(_fresh);
        _fresh.Clear();
        return fresh;
    }

    public static string Letter(Effect effect) => effect switch
    {
        Effect.Allow => "a",
        Effect.Confirm => "c",
        Effect.RequireApproval => "r",
        _ => "d",
    };

    public static Effect FromLetter(string letter) => letter switch
    {
        "a" => Effect.Allow,
        "c" => Effect.Confirm,
        "r" => Effect.RequireApproval,
        _ => Effect.Deny,
    };

    private void Add(RunCall call)
    {
        _calls.Enqueue(call);
        _recorded.Add(new RecordedCall(call.Tool, call.Effect));
        Count(call, +1);
    }

    private void Trim()
    {
        var drop = _calls.Count - _maxCalls;
        if (drop <= 0)
        {
            return;
        }

        for (var i = 0; i < drop; i++)
        {
            Count(_calls.Dequeue(), -1);
        }

        _recorded.RemoveRange(0, drop);
    }

    private void Count(RunCall call, int by)
    {
        Adjust(_perTool, call.Tool, by);
        Adjust(_identical, (call.Tool, call.Hash), by);
        if (call.Effect != Effect.Deny)
        {
            Adjust(_notDenied, call.Tool, by);
        }
    }

    private static void Adjust<TKey>(Dictionary<TKey, int> counts, TKey key, int by)
        where TKey : notnull
    {
        var count = counts.GetValueOrDefault(key) + by;
        if (count > 0)
        {
            counts[key] = count;
        }
        else
        {
            counts.Remove(key);
        }
    }

    /// <summary>16 hex characters of the arguments hash: enough to tell a run's calls apart, a quarter of the storage.</summary>
    private static string Short(string argsHash) => argsHash.Length > 23 ? argsHash.Substring(7, 16) : argsHash;
}
