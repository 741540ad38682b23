using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Storage;

namespace Rein.Server.Identity;

/// <summary>A key as just created: the only moment its full value exists outside the client.</summary>
public sealed record CreatedKey(ApiKey Key, string Value);

/// <summary>How many keys a project has, and how many of them work.</summary>
public sealed record KeyCounts(long Total, long Active);

/// <summary>Creates, lists and revokes a project's API keys; every change is audited in the same transaction.</summary>
public sealed class KeyService(ReinDatabase database, AuditLog audit, TimeProvider time, IdentityOptions options, ILogger<KeyService> logger)
{
    public const int MaxNameLength = 100;

    /// <summary>Largest page a listing returns.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>Approval queues one approver key may be limited to.</summary>
    public const int MaxQueuesPerKey = 100;

    public Task<CreatedKey> CreateAsync(Caller caller, string? name, string? role, DateTimeOffset? expiresAt, CancellationToken cancellationToken) =>
        CreateAsync(caller, name, role, expiresAt, null, cancellationToken);

    /// <summary>Creates a key; <paramref name="queues"/> limits an approver key to those approval queues (null: all),
    /// and is refused for other roles.</summary>
    public async Task<CreatedKey> CreateAsync(Caller caller, string? name, string? role, DateTimeOffset? expiresAt, IReadOnlyList<string>? queues, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var validName = ValidateName(name);
        if (!Roles.TryParse(role, out var validRole))
        {
            throw ReinProblemException.Invalid("role", $"'{role}' is not a role; use one of {string.Join(", ", Roles.Names)}");
        }

        var validQueues = ValidateQueues(queues, validRole);

        var now = time.GetUtcNow();
        if (expiresAt is { } expires && expires <= now)
        {
            throw ReinProblemException.Invalid("expiresAt", "must be in the future");
        }

        var created = await database.WriteAsync(async (c, t) =>
        {
            var active = await IdentityStore.CountActiveKeysAsync(c, t, caller.ProjectId, now);
            if (active >= options.MaxActiveKeysPerProject)
            {
                throw ReinProblemException.Conflict($"project {caller.ProjectId} already has {active} active keys, the limit (Identity:MaxActiveKeysPerProject); revoke unused keys first");
            }

            return await InsertAsync(c, t, caller.ProjectId, caller.KeyId, validName, validRole, expiresAt, now, validQueues);
        }, cancellationToken);
        Log.KeyCreated(logger, created.Key.Id, validRole.ToName(), caller.ProjectId, caller.KeyId);
        return created;
    }

    /// <summary>Inserts a key and its audit entry inside the caller's transaction.</summary>
    internal async Task<CreatedKey> InsertAsync(
        System.Data.Common.DbConnection c, System.Data.Common.DbTransaction t, string projectId, string actor, string name, Role role, DateTimeOffset? expiresAt, DateTimeOffset now,
        IReadOnlyList<string>? queues = null)
    {
        var token = ApiKeyToken.Create();
        var key = new ApiKey(token.Id, projectId, name, role, Truncate(now), actor, expiresAt is { } e ? Truncate(e) : null, null, null, null) { Queues = queues };
        await IdentityStore.InsertKeyAsync(c, t, key, token.Hash());
        await audit.AppendAsync(c, t, projectId, new AuditEvent(
            actor, "key.create", "key", key.Id, null, Digest(key),
            queues is null
                ? JsonSerializer.Serialize(new { name, role = role.ToName(), expiresAt = key.ExpiresAt })
                : JsonSerializer.Serialize(new { name, role = role.ToName(), expiresAt = key.ExpiresAt, queues })));
        return new CreatedKey(key, token.Value);
    }

    /// <summary>The approval queues the caller's key may decide; null: every queue (admins, and approvers not limited).</summary>
    internal async Task<IReadOnlyList<string>?> QueuesOfAsync(Caller caller, CancellationToken cancellationToken)
    {
        if (caller.Role != Role.Approver)
        {
            return null;
        }

        var key = await database.ReadAsync(c => IdentityStore.GetKeyAsync(c, null, caller.ProjectId, caller.KeyId), cancellationToken);
        // A key that no longer exists decides nothing.
        return key is null ? [] : key.Queues;
    }

    private static string[]? ValidateQueues(IReadOnlyList<string>? queues, Role role)
    {
        if (queues is null)
        {
            return null;
        }

        if (role != Role.Approver)
        {
            throw ReinProblemException.Invalid("queues", $"only an approver key can be limited to approval queues; this key's role is {role.ToName()}");
        }

        if (queues.Count is 0 or > MaxQueuesPerKey)
        {
            throw ReinProblemException.Invalid("queues", $"must list 1 to {MaxQueuesPerKey} queue names (leave it out for every queue); it lists {queues.Count}");
        }

        var valid = new List<string>(queues.Count);
        for (var i = 0; i < queues.Count; i++)
        {
            var name = Approvals.ApprovalQueueNames.Validate($"queues[{i}]", queues[i]);
            if (!valid.Contains(name, StringComparer.Ordinal))
            {
                valid.Add(name);
            }
        }

        return [.. valid];
    }

    public async Task<Page<ApiKey>> ListAsync(Caller caller, string? after, int limit, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var keys = await database.ReadAsync(async c =>
        {
            // A cursor naming no key of this project would silently read as "no more keys".
            if (after is not null && await IdentityStore.GetKeyAsync(c, null, caller.ProjectId, after) is null)
            {
                throw ReinProblemException.Invalid("after", $"'{after}' is not a key of project {caller.ProjectId}; pass the 'next' value of the previous page");
            }

            return await IdentityStore.ListKeysAsync(c, caller.ProjectId, after, limit + 1);
        }, cancellationToken);
        return keys.Count > limit ? new Page<ApiKey>([.. keys.Take(limit)], keys[limit - 1].Id) : new Page<ApiKey>(keys, null);
    }

    /// <summary>Counts the caller's project's keys; readers may see the numbers, not the keys.</summary>
    public Task<KeyCounts> CountAsync(Caller caller, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        var now = time.GetUtcNow();
        return database.ReadAsync(async c => new KeyCounts(
            await IdentityStore.CountKeysAsync(c, caller.ProjectId),
            await IdentityStore.CountActiveKeysAsync(c, null, caller.ProjectId, now)), cancellationToken);
    }

    public Task<ApiKey?> GetAsync(Caller caller, string keyId, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        return database.ReadAsync(c => IdentityStore.GetKeyAsync(c, null, caller.ProjectId, keyId), cancellationToken);
    }

    /// <summary>Revokes a key of the caller's project. Revoking a revoked key changes nothing and returns it as it is.</summary>
    /// <exception cref="ReinProblemException">404 when the project has no such key; 409 for its last active admin key.</exception>
    public async Task<ApiKey> RevokeAsync(Caller caller, string keyId, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var (key, changed) = await database.WriteAsync(async (c, t) =>
        {
            var before = await IdentityStore.GetKeyAsync(c, t, caller.ProjectId, keyId)
                ?? throw ReinProblemException.NotFound($"project {caller.ProjectId} has no key {keyId}");
            if (before.RevokedAt is not null)
            {
                return (before, false);
            }

            var now = time.GetUtcNow();
            if (before.Role == Role.Admin && before.StateAt(now) == KeyState.Active &&
                await IdentityStore.CountActiveKeysAsync(c, t, caller.ProjectId, now, Role.Admin) <= 1)
            {
                throw ReinProblemException.Conflict($"key {keyId} is the last active admin key of project {caller.ProjectId}; create another admin key before revoking it");
            }

            await IdentityStore.RevokeKeyAsync(c, t, caller.ProjectId, keyId, now, caller.KeyId);
            var after = before with { RevokedAt = Truncate(now), RevokedBy = caller.KeyId };
            await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                caller.KeyId, "key.revoke", "key", keyId, Digest(before), Digest(after), JsonSerializer.Serialize(new { name = before.Name, role = before.Role.ToName() })));
            return (after, true);
        }, cancellationToken);
        if (changed)
        {
            Log.KeyRevoked(logger, keyId, caller.ProjectId, caller.KeyId);
        }

        return key;
    }

    internal static string ValidateName(string? name)
    {
        var trimmed = name?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw ReinProblemException.Invalid("name", "is required: say what the key is for, such as 'ci' or 'support-bot'");
        }

        if (trimmed.Length > MaxNameLength)
        {
            throw ReinProblemException.Invalid("name", $"is {trimmed.Length} characters long; at most {MaxNameLength} are allowed");
        }

        return trimmed.Any(char.IsControl)
            ? throw ReinProblemException.Invalid("name", "must not contain control characters")
            : trimmed;
    }

    /// <summary>The state of a key as the audit log records it: no secret, no last-used time (not a change of state).</summary>
    internal static string Digest(ApiKey key)
    {
        (string, string?)[] fields =
        [
            ("id", key.Id),
            ("project", key.ProjectId),
            ("name", key.Name),
            ("role", key.Role.ToName()),
            ("expiresAt", key.ExpiresAt?.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("revokedAt", key.RevokedAt?.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ];

        // Only keys limited to queues digest them, so every other key's digest stays what it was before queues existed.
        return AuditChain.DigestOf(key.Queues is null ? fields : [.. fields, ("queues", JsonSerializer.Serialize(key.Queues))]);
    }

    // Storage keeps milliseconds; what is returned must equal what a later read returns.
    private static DateTimeOffset Truncate(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());
}
