using System.Collections.Concurrent;
using System.Data.Common;
using Dapper;
using Rein.Core.Policies;
using Rein.Server.Storage;

namespace Rein.Server.Policies;

// CONTRACT (issue 4): what the gate reads from the policy lifecycle. Signatures change only by agreement.

/// <summary>An active policy version.</summary>
public sealed record ActivePolicy(Policy Policy, int Version);

/// <summary>A kill switch: scope tool, agent or release; <see cref="Agent"/> is empty when a tool switch applies to every agent.</summary>
public sealed record KillSwitch(string Scope, string Target, string Agent, string? Reason, DateTimeOffset CreatedAt, string? CreatedBy);

/// <summary>Everything the gate decides with for one project, as of <see cref="Epoch"/>.</summary>
public sealed record GateRules(long Epoch, IReadOnlyList<ActivePolicy> Policies, IReadOnlyList<KillSwitch> KillSwitches);

/// <summary>Reads the active policy versions and kill switches of a project for the gate, and moves the project's
/// gate epoch when they change so every replica reloads before its next decision.</summary>
public sealed class PolicyCatalog
{
    /// <summary>Parsed versions kept in memory. A version is immutable, so its hash names its parsed form for ever;
    /// a thousand covers every active and recently read version of many projects.</summary>
    public const int DefaultCacheCapacity = 1000;

    private readonly ReinDatabase _database;
    private readonly int _cacheCapacity;
    private readonly ConcurrentDictionary<string, Policy> _parsed = new(StringComparer.Ordinal);

    public PolicyCatalog(ReinDatabase database)
        : this(database, DefaultCacheCapacity)
    {
    }

    internal PolicyCatalog(ReinDatabase database, int cacheCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cacheCapacity, 1);
        _database = database;
        _cacheCapacity = cacheCapacity;
    }

    /// <summary>How many parsed versions are held now; never more than the capacity.</summary>
    internal int CachedCount => _parsed.Count;

    /// <summary>The project's current epoch (0 when nothing was ever activated or killed).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "An instance member of the contract the gate reads through.")]
    public Task<long> ReadEpochAsync(DbConnection connection, DbTransaction? transaction, string projectId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.ExecuteScalarAsync<long>(
            "SELECT COALESCE(MAX(epoch), 0) FROM gate_epochs WHERE project_id = @projectId", new { projectId }, transaction);
    }

    /// <summary>The active versions (parsed, cached by hash) and kill switches, read in the given transaction.</summary>
    /// <remarks>The epoch is read first: without a transaction the rules read after it are at least as new as the
    /// epoch says, so a reader that caches them by epoch reloads when the epoch moves, never misses a change.</remarks>
    public async Task<GateRules> LoadAsync(DbConnection connection, DbTransaction? transaction, string projectId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var epoch = await ReadEpochAsync(connection, transaction, projectId);
        var active = (await connection.QueryAsync<ActiveRow>(
            """
            SELECT v.name, v.version, v.hash
            FROM policies p JOIN policy_versions v ON v.project_id = p.project_id AND v.name = p.name AND v.version = p.active_version
            WHERE p.project_id = @projectId
            ORDER BY v.name
            """,
            new { projectId },
            transaction)).ToList();

        // Sources are read only for versions this replica has not parsed yet.
        var missing = active.Where(a => !_parsed.ContainsKey(a.Hash)).ToList();
        var sources = new Dictionary<(string, int), string>();
        foreach (var row in missing)
        {
            sources[(row.Name, row.Version)] = await connection.QuerySingleAsync<string>(
                "SELECT source FROM policy_versions WHERE project_id = @projectId AND name = @Name AND version = @Version",
                new { projectId, row.Name, row.Version },
                transaction);
        }

        var policies = active
            .Select(a => new ActivePolicy(_parsed.TryGetValue(a.Hash, out var p) ? p : Parse(a.Name, a.Version, a.Hash, sources[(a.Name, a.Version)]), a.Version))
            .ToList();
        var switches = await KillSwitchStore.ListAsync(connection, transaction, projectId);
        return new GateRules(epoch, policies, switches);
    }

    /// <summary>Called in the transaction of every change the gate must see.</summary>
    public static Task BumpEpochAsync(DbConnection connection, DbTransaction transaction, string projectId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        // The upsert takes the row's lock until commit: concurrent changes of one project move it one at a time.
        return connection.ExecuteAsync(
            """
            INSERT INTO gate_epochs (project_id, epoch) VALUES (@projectId, 1)
            ON CONFLICT (project_id) DO UPDATE SET epoch = gate_epochs.epoch + 1
            """,
            new { projectId },
            transaction);
    }

    /// <summary>A stored version, parsed; null when there is none.</summary>
    public async Task<ActivePolicy?> GetVersionAsync(string projectId, string name, int version, CancellationToken cancellationToken)
    {
        var row = await _database.ReadAsync(
            c => PolicyStore.GetVersionAsync(c, null, projectId, name, version, withSource: true), cancellationToken);
        return row is null ? null : new ActivePolicy(Parsed(row.Name, row.Version, row.Hash, row.Source!), row.Version);
    }

    /// <summary>The parsed form of a stored version, from the cache when this replica has parsed it before.</summary>
    internal Policy Parsed(string name, int version, string hash, string source) =>
        _parsed.TryGetValue(hash, out var policy) ? policy : Parse(name, version, hash, source);

    /// <summary>Remembers a version the service has just parsed, so its first decision does not parse it again.</summary>
    internal void Remember(Policy policy) => Add(policy.Hash, policy);

    private Policy Parse(string name, int version, string hash, string source)
    {
        Policy policy;
        try
        {
            policy = PolicyParser.Parse(source, name + ".yaml");
        }
        catch (PolicyException e)
        {
            // Stored versions were checked when pushed; this means the parser changed under them. The gate fails closed.
            throw new InvalidOperationException($"Stored policy {name} version {version} no longer parses: {e.Message}", e);
        }

        Add(hash, policy);
        return policy;
    }

    private void Add(string hash, Policy policy)
    {
        if (_parsed.Count >= _cacheCapacity)
        {
            // Evicting everything is crude but bounded and rare: the active set of all projects is far below the capacity.
            _parsed.Clear();
        }

        _parsed[hash] = policy;
    }

    private sealed class ActiveRow
    {
        public string Name { get; set; } = "";
        public int Version { get; set; }
        public string Hash { get; set; } = "";
    }
}
