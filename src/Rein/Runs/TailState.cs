using Rein.Client;

namespace Rein.Cli.Runs;

/// <summary>
/// What <c>rein runs tail</c> has seen, and what each poll should print. A run is printed once: when it is first seen
/// finished (any status but running), or, if it is still running <see cref="RunningAfter"/> after it first appeared
/// (a long task, or a root span that was lost), then, with status running. Runs that existed when the tail started
/// are not printed, except those still running then, which count as appearing when the tail started.
/// </summary>
/// <remarks>
/// Memory is bounded twice: ids are forgotten once their run starts before the polled window (the server will not list
/// them again), and neither set grows past <see cref="MaxTracked"/>, dropping the oldest runs first.
/// </remarks>
public sealed class TailState(TimeSpan runningAfter)
{
    /// <summary>Far more runs than fit one window at any rate a person can read; a bound, not a working size.</summary>
    public const int MaxTracked = 20_000;

    private readonly Dictionary<string, DateTimeOffset> _printed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (Run Run, DateTimeOffset FirstSeen)> _running = new(StringComparer.Ordinal);
    private bool _primed;

    public TimeSpan RunningAfter { get; } = runningAfter;

    public int Tracked => _printed.Count + _running.Count;

    /// <summary>Takes one poll's runs (every run that started since <paramref name="windowStart"/>) and returns those to
    /// print now, oldest first. The first call only takes note: what existed before the tail is history.</summary>
    public IReadOnlyList<Run> Observe(IReadOnlyList<Run> runs, DateTimeOffset windowStart, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(runs);
        var print = new List<Run>();
        foreach (var run in runs)
        {
            if (_printed.ContainsKey(run.Id))
            {
                continue;
            }

            if (run.Status != RunStatuses.Running)
            {
                _running.Remove(run.Id);
                _printed[run.Id] = run.StartedAt;
                if (_primed)
                {
                    print.Add(run);
                }
            }
            else
            {
                _running[run.Id] = (run, _running.TryGetValue(run.Id, out var known) ? known.FirstSeen : now);
            }
        }

        foreach (var (id, (run, firstSeen)) in _running.ToList())
        {
            if (now - firstSeen >= RunningAfter)
            {
                _running.Remove(id);
                _printed[id] = run.StartedAt;
                print.Add(run);
            }
        }

        _primed = true;
        Forget(windowStart);
        return [.. print.OrderBy(r => r.StartedAt).ThenBy(r => r.Id, StringComparer.Ordinal)];
    }

    private void Forget(DateTimeOffset windowStart)
    {
        foreach (var id in _printed.Where(p => p.Value < windowStart).Select(p => p.Key).ToList())
        {
            _printed.Remove(id);
        }

        foreach (var id in _running.Where(p => p.Value.Run.StartedAt < windowStart).Select(p => p.Key).ToList())
        {
            _running.Remove(id);
        }

        var excess = Tracked - MaxTracked;
        if (excess > 0)
        {
            foreach (var id in _printed.OrderBy(p => p.Value).Take(excess).Select(p => p.Key).ToList())
            {
                _printed.Remove(id);
            }

            excess = Tracked - MaxTracked;
            foreach (var id in _running.OrderBy(p => p.Value.FirstSeen).Take(Math.Max(0, excess)).Select(p => p.Key).ToList())
            {
                _running.Remove(id);
            }
        }
    }
}
