using System.Collections.Concurrent;

namespace Rein.Server.Gateway;

/// <summary>
/// What a gateway call reads about its project (the servers, the catalog's rows, the fault rules), kept for
/// <see cref="Ttl"/> so a call costs no database reads in the common case. A change made through this replica clears
/// the project's entries at once; one made through another replica is seen within <see cref="Ttl"/>.
/// </summary>
public sealed class GatewayCache(TimeProvider time)
{
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(1);

    /// <summary>Entries kept; past it the cache starts over.</summary>
    public const int MaxEntries = 10_000;

    private readonly ConcurrentDictionary<(string Project, string Key), (DateTimeOffset At, object Value)> _entries = new();

    public async Task<T> GetAsync<T>(string project, string key, Func<Task<T>> load)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(load);
        var now = time.GetUtcNow();
        if (_entries.TryGetValue((project, key), out var entry) && now - entry.At < Ttl && entry.Value is T value)
        {
            return value;
        }

        var loaded = await load();
        Set(project, key, loaded);
        return loaded;
    }

    public void Set<T>(string project, string key, T value)
        where T : class
    {
        if (_entries.Count >= MaxEntries)
        {
            _entries.Clear();
        }

        _entries[(project, key)] = (time.GetUtcNow(), value);
    }

    /// <summary>Forgets everything kept about the project: its gateway settings just changed.</summary>
    public void Invalidate(string project)
    {
        foreach (var key in _entries.Keys)
        {
            if (key.Project == project)
            {
                _entries.TryRemove(key, out _);
            }
        }
    }
}
