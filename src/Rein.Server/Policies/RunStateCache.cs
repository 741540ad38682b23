namespace Rein.Server.Policies;

/// <summary>
/// The gate writer's run states between transactions, least recently used dropped first. An entry is taken out while a
/// transaction uses it and put back only once that transaction committed, so what stays here always matches committed
/// data; it is used only when the run's step count in the database is the one it recorded, so a step taken on another
/// replica (or rolled back here) makes the writer reload the run instead. Used by the single writer loop only.
/// </summary>
internal sealed class RunStateCache(int capacity)
{
    private readonly Dictionary<(string Project, string Run), LinkedListNode<((string Project, string Run) Key, RunBudgetState State)>> _entries = [];
    private readonly LinkedList<((string Project, string Run) Key, RunBudgetState State)> _order = new();

    public int Count => _entries.Count;

    /// <summary>Removes the run's state and returns it when it stands at <paramref name="steps"/> steps.</summary>
    public RunBudgetState? Take((string Project, string Run) key, long steps)
    {
        if (!_entries.Remove(key, out var node))
        {
            return null;
        }

        _order.Remove(node);
        return node.Value.State.Steps == steps ? node.Value.State : null;
    }

    public void Put((string Project, string Run) key, RunBudgetState state)
    {
        if (capacity == 0)
        {
            return;
        }

        if (_entries.Remove(key, out var old))
        {
            _order.Remove(old);
        }

        _entries[key] = _order.AddFirst((key, state));
        while (_entries.Count > capacity)
        {
            var last = _order.Last!;
            _order.RemoveLast();
            _entries.Remove(last.Value.Key);
        }
    }
}
