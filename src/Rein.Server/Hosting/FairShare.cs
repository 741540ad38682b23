namespace Rein.Server;

/// <summary>Which bound refused a share: the whole resource, the project's part of it, or the key's part of the project's.</summary>
internal enum ShareBound
{
    Total,
    Project,
    Key,
}

/// <summary>Why units were not granted, in words for the caller. <see cref="OverShare"/>: the caller holds its part
/// (429, others are still served); otherwise the resource is full for everyone (503).</summary>
internal sealed record ShareRefusal(ShareBound Bound, string Message)
{
    public bool OverShare => Bound != ShareBound.Total;
}

/// <summary>The limits of one shared resource and the settings that set them (for messages that name them). What:
/// what is counted, plural ("MCP sessions", "decisions waiting").</summary>
internal sealed record ShareLimits(string What, int Total, string TotalKey, int PerProject, string PerProjectKey, int PerKey, string PerKeyKey);

/// <summary>
/// A bounded resource that many projects and their keys share: at most <see cref="ShareLimits.Total"/> units in use,
/// of which one project holds at most <see cref="ShareLimits.PerProject"/> and one key at most
/// <see cref="ShareLimits.PerKey"/>, so a noisy key runs into its own bound long before it can fill what others need.
/// Units are taken with <see cref="TryAcquire"/> and given back with <see cref="Release"/>. Holders are only counted
/// while they hold something, so memory grows with what is in use, never with who ever asked.
/// </summary>
/// <remarks>A request larger than a bound is still granted when its holder (and the whole) holds nothing yet, or it
/// could never be served: a bound limits what piles up, not the size of one request.</remarks>
internal sealed class FairShare(ShareLimits limits)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _projects = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Project, string Key), int> _keys = [];
    private int _total;

    public ShareLimits Limits { get; } = limits;

    public int InUse
    {
        get
        {
            lock (_lock)
            {
                return _total;
            }
        }
    }

    public int InUseBy(string project)
    {
        lock (_lock)
        {
            return _projects.GetValueOrDefault(project);
        }
    }

    public int InUseBy(string project, string key)
    {
        lock (_lock)
        {
            return _keys.GetValueOrDefault((project, key));
        }
    }

    /// <summary>Takes <paramref name="units"/> for the key of the project; null when granted, else which bound refused
    /// and why. Nothing is taken when refused.</summary>
    public ShareRefusal? TryAcquire(string project, string key, int units = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(units);
        lock (_lock)
        {
            var byKey = _keys.GetValueOrDefault((project, key));
            if (Over(byKey, units, Limits.PerKey))
            {
                return new ShareRefusal(ShareBound.Key,
                    $"this key already holds {byKey} {Limits.What}, its share of the server's {Limits.Total} (at most {Limits.PerKey} per key, {Limits.PerKeyKey}); others are still served");
            }

            var byProject = _projects.GetValueOrDefault(project);
            if (Over(byProject, units, Limits.PerProject))
            {
                return new ShareRefusal(ShareBound.Project,
                    $"project {project} already holds {byProject} {Limits.What}, its share of the server's {Limits.Total} (at most {Limits.PerProject} per project, {Limits.PerProjectKey}); other projects are still served");
            }

            if (Over(_total, units, Limits.Total))
            {
                return new ShareRefusal(ShareBound.Total, $"the server holds its most {Limits.What} ({Limits.Total}, {Limits.TotalKey})");
            }

            _keys[(project, key)] = byKey + units;
            _projects[project] = byProject + units;
            _total += units;
            return null;
        }
    }

    /// <summary>Gives back units taken with <see cref="TryAcquire"/>.</summary>
    public void Release(string project, string key, int units = 1)
    {
        lock (_lock)
        {
            Take(_keys, (project, key), units);
            Take(_projects, project, units);
            _total = Math.Max(0, _total - units);
        }
    }

    private static bool Over(int held, int units, int limit) => held > 0 && held + units > limit;

    private static void Take<TKey>(Dictionary<TKey, int> counts, TKey holder, int units)
        where TKey : notnull
    {
        if (counts.TryGetValue(holder, out var held))
        {
            if (held <= units)
            {
                counts.Remove(holder);
            }
            else
            {
                counts[holder] = held - units;
            }
        }
    }
}
