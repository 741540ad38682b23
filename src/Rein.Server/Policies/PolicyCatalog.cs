using System.Data.Common;
using Rein.Core.Policies;

namespace Rein.Server.Policies;

// CONTRACT (issue 4): what the gate reads from the policy lifecycle. Bodies marked "contract stub" are replaced by the
// implementation; signatures change only by agreement.

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
    /// <summary>The project's current epoch (0 when nothing was ever activated or killed).</summary>
    public Task<long> ReadEpochAsync(DbConnection connection, DbTransaction? transaction, string projectId) =>
        throw new NotImplementedException("contract stub");

    /// <summary>The active versions (parsed, cached by hash) and kill switches, read in the given transaction.</summary>
    public Task<GateRules> LoadAsync(DbConnection connection, DbTransaction? transaction, string projectId) =>
        throw new NotImplementedException("contract stub");

    /// <summary>Called in the transaction of every change the gate must see.</summary>
    public static Task BumpEpochAsync(DbConnection connection, DbTransaction transaction, string projectId) =>
        throw new NotImplementedException("contract stub");

    /// <summary>A stored version, parsed; null when there is none.</summary>
    public Task<ActivePolicy?> GetVersionAsync(string projectId, string name, int version, CancellationToken cancellationToken) =>
        throw new NotImplementedException("contract stub");
}
