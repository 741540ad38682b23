using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Policies;

/// <summary>A kill switch after an add: <see cref="Created"/> is false when the same switch was already on.</summary>
public sealed record KillSwitchAdded(KillSwitch Switch, bool Created);

/// <summary>
/// Stops a tool (for every agent or one), an agent or a release, before any policy is consulted. Every change is
/// audited and moves the project's gate epoch in the same transaction, so the next decision on every replica sees it.
/// </summary>
public sealed class KillSwitchService(ReinDatabase database, AuditLog audit, TimeProvider time, ILogger<KillSwitchService> logger, Core.Traces.Redactor? redactor = null)
{
    /// <summary>Longest target or agent name; tool, agent and release names are far shorter.</summary>
    public const int MaxTargetLength = 256;

    public const int MaxReasonLength = 1000;

    /// <summary>The gate loads every switch of a project before deciding; this keeps that load small.</summary>
    public const int MaxPerProject = 1000;

    public static IReadOnlyList<string> Scopes { get; } = [KillSwitchScopes.Tool, KillSwitchScopes.Agent, KillSwitchScopes.Release];

    /// <summary>Turns a switch on. The same switch again changes nothing (its first reason stays) and says so.</summary>
    /// <exception cref="ReinProblemException">400 naming the field; 409 beyond <see cref="MaxPerProject"/>.</exception>
    public async Task<KillSwitchAdded> AddAsync(Caller caller, string? scope, string? target, string? agent, string? reason, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var key = ValidateKey(scope, target, agent);
        var trimmedReason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        if (trimmedReason is { Length: > MaxReasonLength })
        {
            throw ReinProblemException.Invalid("reason", $"is {trimmedReason.Length} characters long; at most {MaxReasonLength} are allowed");
        }

        // A reason is stored and audited for good: a secret pasted into it is redacted first.
        var redactions = 0;
        trimmedReason = trimmedReason is null ? null : (redactor ?? Core.Traces.Redactor.Default).Redact(trimmedReason, ref redactions);

        var added = await database.WriteAsync(async (c, t) =>
        {
            if (await KillSwitchStore.GetAsync(c, t, caller.ProjectId, key.Scope, key.Target, key.Agent) is { } existing)
            {
                return new KillSwitchAdded(existing, false);
            }

            if (await KillSwitchStore.CountAsync(c, t, caller.ProjectId) >= MaxPerProject)
            {
                throw ReinProblemException.Conflict($"project {caller.ProjectId} already has {MaxPerProject} kill switches, the limit; remove some first");
            }

            var now = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
            var wanted = new KillSwitch(key.Scope, key.Target, key.Agent, trimmedReason, now, caller.KeyId);
            if (!await KillSwitchStore.InsertAsync(c, t, caller.ProjectId, wanted))
            {
                // Added by a concurrent request between the read and the insert.
                return new KillSwitchAdded(await KillSwitchStore.GetAsync(c, t, caller.ProjectId, key.Scope, key.Target, key.Agent) ?? wanted, false);
            }

            await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId, "kill.add", "kill_switch", Describe(wanted), null, Digest(wanted), Details(wanted)));
            await PolicyCatalog.BumpEpochAsync(c, t, caller.ProjectId);
            return new KillSwitchAdded(wanted, true);
        }, cancellationToken);
        if (added.Created)
        {
            Log.KillSwitchAdded(logger, Describe(added.Switch), caller.ProjectId, caller.KeyId);
        }

        return added;
    }

    /// <summary>Turns a switch off and returns it as it was.</summary>
    /// <exception cref="ReinProblemException">400 naming the field; 404 when no such switch is on.</exception>
    public async Task<KillSwitch> RemoveAsync(Caller caller, string? scope, string? target, string? agent, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var key = ValidateKey(scope, target, agent);
        var removed = await database.WriteAsync(async (c, t) =>
        {
            var existing = await KillSwitchStore.GetAsync(c, t, caller.ProjectId, key.Scope, key.Target, key.Agent);
            if (existing is null || !await KillSwitchStore.DeleteAsync(c, t, caller.ProjectId, key.Scope, key.Target, key.Agent))
            {
                throw ReinProblemException.NotFound($"project {caller.ProjectId} has no kill switch {Describe(key.Scope, key.Target, key.Agent)}");
            }

            await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId, "kill.remove", "kill_switch", Describe(existing), Digest(existing), null, Details(existing)));
            await PolicyCatalog.BumpEpochAsync(c, t, caller.ProjectId);
            return existing;
        }, cancellationToken);
        Log.KillSwitchRemoved(logger, Describe(removed), caller.ProjectId, caller.KeyId);
        return removed;
    }

    /// <summary>Every switch of the caller's project (at most <see cref="MaxPerProject"/>), by scope, target and agent.</summary>
    public Task<IReadOnlyList<KillSwitch>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        return database.ReadAsync(c => KillSwitchStore.ListAsync(c, null, caller.ProjectId), cancellationToken);
    }

    /// <summary>How people and the audit log name a switch: <c>tool:payments.refund</c>, <c>tool:email.send@support-bot</c>.</summary>
    public static string Describe(KillSwitch s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return Describe(s.Scope, s.Target, s.Agent);
    }

    private static string Describe(string scope, string target, string agent) =>
        agent.Length == 0 ? $"{scope}:{target}" : $"{scope}:{target}@{agent}";

    private static (string Scope, string Target, string Agent) ValidateKey(string? scope, string? target, string? agent)
    {
        var validScope = scope?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(validScope))
        {
            throw ReinProblemException.Invalid("scope", "is required: tool, agent or release");
        }

        if (!Scopes.Contains(validScope))
        {
            throw ReinProblemException.Invalid("scope", $"'{Shorten(scope)}' is not a scope; use tool, agent or release");
        }

        var validTarget = Name("target", target) ?? throw ReinProblemException.Invalid("target", $"is required: the {validScope} to stop");
        var validAgent = Name("agent", agent) ?? "";
        if (validAgent.Length > 0 && validScope != KillSwitchScopes.Tool)
        {
            throw ReinProblemException.Invalid("agent", $"only a tool switch can be limited to one agent; a {validScope} switch applies everywhere");
        }

        return (validScope, validTarget, validAgent);
    }

    private static string? Name(string field, string? value)
    {
        var trimmed = value?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return null;
        }

        if (trimmed.Length > MaxTargetLength)
        {
            throw ReinProblemException.Invalid(field, $"is {trimmed.Length} characters long; at most {MaxTargetLength} are allowed");
        }

        return trimmed.Any(char.IsControl) ? throw ReinProblemException.Invalid(field, "must not contain control characters") : trimmed;
    }

    private static string Digest(KillSwitch s) =>
        AuditChain.DigestOf(("scope", s.Scope), ("target", s.Target), ("agent", s.Agent), ("reason", s.Reason));

    private static string Details(KillSwitch s) =>
        JsonSerializer.Serialize(new { scope = s.Scope, target = s.Target, agent = s.Agent, reason = s.Reason });

    private static string Shorten(string? value) => value is { Length: > 80 } ? value[..80] + "..." : value ?? "";
}
