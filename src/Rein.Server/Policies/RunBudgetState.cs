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
    private readonly List<(string Tool, Effect Effect, string Hash)> _calls;
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
    }

    public string RunId { get; }

    public DateTimeOffset StartedAt { get; }

    public int Depth { get; }

    /// <summary>What the run looks like to the action about to be decided.</summary>
    public RunSnapshot Snapshot(string tool, string argsHash, DateTimeOffset now, decimal? cost)
    {
        var recorded = new RecordedCall[_calls.Count];
        var perTool = new Dictionary<string, int>(StringComparer.Ordinal);
        var identical = 0;
        var hash = Short(argsHash);
        for (var i = 0; i < _calls.Count; i++)
        {
            var c = _calls[i];
            recorded[i] = new RecordedCall(c.Tool, c.Effect);
            perTool[c.Tool] = perTool.GetValueOrDefault(c.Tool) + 1;
            if (c.Tool == tool && c.Hash == hash)
            {
                identical++;
            }
        }

        return new RunSnapshot
        {
            Steps = _stepsBefore,
            Calls = recorded,
            ToolCalls = perTool,
            IdenticalCalls = identical,
            CostUsd = cost,
            Duration = now > StartedAt ? now - StartedAt : TimeSpan.Zero,
            Depth = Depth,
        };
    }

    public void Record(string tool, Effect effect, string argsHash)
    {
        _stepsBefore++;
        _calls.Add((tool, effect, Short(argsHash)));
        if (_calls.Count > _maxCalls)
        {
            _calls.RemoveRange(0, _calls.Count - _maxCalls);
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
