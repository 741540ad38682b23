using System.Text;
using System.Text.Json;
using Rein.Core.Policies;

namespace Rein.Server.Policies;

/// <summary>
/// One run's budget state inside a writer transaction: what the row held before this batch, advanced call by call as
/// the batch's decisions for the run are made in order, then written back once.
/// </summary>
internal sealed class RunBudgetState
{
    // Kept up to date call by call, so a decision reads counts instead of walking the run's calls.
    private readonly List<(string Tool, Effect Effect, string Hash)> _calls;
    private readonly List<RecordedCall> _recorded;
    private readonly Dictionary<string, int> _perTool = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Tool, string Hash), int> _identical = [];
    private readonly Dictionary<string, int> _notDenied = new(StringComparer.Ordinal);
    private readonly int _maxCalls;
    private int _stepsBefore;

    public RunBudgetState(GateRunRow row, int stepsInBatch, int maxCalls)
    {
        RunId = row.RunId;
        _stepsBefore = (int)Math.Min(int.MaxValue, row.Steps - stepsInBatch);
        StartedAt = DateTimeOffset.FromUnixTimeMilliseconds(row.StartedAt);
        Depth = (int)row.Depth;
        _maxCalls = maxCalls;
        _calls = Parse(row.Calls);
        _recorded = new List<RecordedCall>(_calls.Count + stepsInBatch);
        foreach (var call in _calls)
        {
            Count(call, +1);
        }
    }

    public string RunId { get; }

    public DateTimeOffset StartedAt { get; }

    public int Depth { get; }

    /// <summary>Tools the run's kept calls used without being denied: what <c>run.called</c> looks at.</summary>
    public IReadOnlyCollection<string> CalledTools => _notDenied.Keys;

    /// <summary>What the run looks like to the action about to be decided. The snapshot shares this state's lists:
    /// read it before <see cref="Record"/> is called for the action.</summary>
    public RunSnapshot Snapshot(string tool, string argsHash, DateTimeOffset now, decimal? cost) => new()
    {
        Steps = _stepsBefore,
        Calls = _recorded,
        ToolCalls = _perTool,
        IdenticalCalls = _identical.GetValueOrDefault((tool, Short(argsHash))),
        CostUsd = cost,
        Duration = now > StartedAt ? now - StartedAt : TimeSpan.Zero,
        Depth = Depth,
    };

    public void Record(string tool, Effect effect, string argsHash)
    {
        _stepsBefore++;
        var call = (tool, effect, Short(argsHash));
        _calls.Add(call);
        Count(call, +1);
        if (_calls.Count > _maxCalls)
        {
            var drop = _calls.Count - _maxCalls;
            for (var i = 0; i < drop; i++)
            {
                Count(_calls[i], -1);
            }

            _calls.RemoveRange(0, drop);
        }
    }

    private void Count((string Tool, Effect Effect, string Hash) call, int by)
    {
        if (by > 0)
        {
            _recorded.Add(new RecordedCall(call.Tool, call.Effect));
        }
        else
        {
            _recorded.RemoveAt(0);
        }

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

    public string CallsJson()
    {
        var json = new StringBuilder(_calls.Count * 48 + 2).Append('[');
        for (var i = 0; i < _calls.Count; i++)
        {
            var (tool, effect, hash) = _calls[i];
            json.Append(i == 0 ? "[" : ",[").Append(JsonSerializer.Serialize(tool)).Append(",\"").Append(Letter(effect)).Append("\",\"").Append(hash).Append("\"]");
        }

        return json.Append(']').ToString();
    }

    /// <summary>16 hex characters of the arguments hash: enough to tell a run's calls apart, a quarter of the storage.</summary>
    private static string Short(string argsHash) => argsHash.Length > 23 ? argsHash.Substring(7, 16) : argsHash;

    private static char Letter(Effect effect) => effect switch
    {
        Effect.Allow => 'a',
        Effect.Confirm => 'c',
        Effect.RequireApproval => 'r',
        _ => 'd',
    };

    private static List<(string, Effect, string)> Parse(string json)
    {
        var calls = new List<(string, Effect, string)>();
        using var doc = JsonDocument.Parse(json);
        foreach (var item in doc.RootElement.EnumerateArray())
        {
            var effect = item[1].GetString() switch
            {
                "a" => Effect.Allow,
                "c" => Effect.Confirm,
                "r" => Effect.RequireApproval,
                _ => Effect.Deny,
            };
            calls.Add((item[0].GetString()!, effect, item[2].GetString()!));
        }

        return calls;
    }
}
