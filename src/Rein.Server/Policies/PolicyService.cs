using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Identity;
using Rein.Core.Policies;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Policies;

/// <summary>What a push did: <see cref="Created"/> is false when the same source was pushed before (the version
/// returned is that one); <see cref="Active"/> says whether the version is active now.</summary>
public sealed record PolicyPushed(PolicyVersionRecord Version, bool Created, bool Active);

/// <summary>A policy with its newest versions and activations, newest first.</summary>
public sealed record PolicyHistory(PolicyRecord Policy, IReadOnlyList<PolicyVersionRecord> Versions, IReadOnlyList<PolicyActivation> Activations);

/// <summary>A version with its source and its embedded tests run again.</summary>
public sealed record PolicyVersionDetail(PolicyVersionRecord Version, bool Active, PolicyTestReport Tests);

public sealed record PolicyDiff(string Name, int From, int To, IReadOnlyList<DiffLine> Lines);

/// <summary>
/// Policy versions and which one is active. A push is parsed, checked and its embedded tests run before anything is
/// stored; a version never changes once stored. Every change is audited and moves the project's gate epoch in the
/// same transaction, so the next decision on every replica sees it.
/// </summary>
public sealed partial class PolicyService(ReinDatabase database, AuditLog audit, PolicyCatalog catalog, TimeProvider time, ILogger<PolicyService> logger)
{
    /// <summary>Policies a project may hold; the gate evaluates every active one, and the list is one page.</summary>
    public const int MaxPoliciesPerProject = 1000;

    /// <summary>Versions and activations a policy's history shows, newest first; older ones stay stored.</summary>
    public const int MaxHistory = 200;

    /// <summary>Longest file name a push may give for messages.</summary>
    public const int MaxFileLength = 256;

    public const string DefaultFile = "policy.yaml";

    public static readonly string NameRule = "1 to 128 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit";

    /// <exception cref="ReinProblemException">400 naming the field; 413 over the size limit; 422 with <c>problems</c>
    /// when the file does not parse or check, or <c>tests</c> when its embedded tests fail; 409 beyond
    /// <see cref="MaxPoliciesPerProject"/>.</exception>
    public async Task<PolicyPushed> PushAsync(Caller caller, string? source, string? file, bool activate, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        var fileName = ValidateFile(file);
        var policy = Check(caller, source ?? throw ReinProblemException.Invalid("source", "is required: the text of the policy file"), fileName);
        var report = PolicyTests.Run(policy);
        if (report.Failed > 0)
        {
            Log.PolicyRefused(logger, policy.Name, caller.ProjectId, caller.KeyId, $"{report.Failed} of {report.Results.Count} tests failed");
            throw TestsFailed(fileName, report);
        }

        var now = Truncate(time.GetUtcNow());
        var (pushed, activated, previous) = await database.WriteAsync(async (c, t) =>
        {
            if (await PolicyStore.GetAsync(c, t, caller.ProjectId, policy.Name) is null &&
                await PolicyStore.CountAsync(c, t, caller.ProjectId) >= MaxPoliciesPerProject)
            {
                throw ReinProblemException.Conflict($"project {caller.ProjectId} already has {MaxPoliciesPerProject} policies, the limit; reuse a policy name");
            }

            var before = await PolicyStore.CreateAndLockAsync(c, t, caller.ProjectId, policy.Name, now);
            var version = await PolicyStore.FindByHashAsync(c, t, caller.ProjectId, policy.Name, policy.Hash);
            var created = version is null;
            var after = before;
            if (version is null)
            {
                version = new PolicyVersionRecord(
                    policy.Name, before.LatestVersion + 1, policy.Hash, policy.Mode, policy.Agents, policy.Rules.Count, report.Passed, now, caller.KeyId, null);
                await PolicyStore.InsertVersionAsync(c, t, caller.ProjectId, version, policy.Source);
                after = before with { LatestVersion = version.Version };
                await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
                    caller.KeyId, "policy.push", "policy", policy.Name, before.LatestVersion == 0 ? null : Digest(before), Digest(after),
                    JsonSerializer.Serialize(new { version = version.Version, hash = version.Hash, mode = version.Mode.ToName(), rules = version.Rules })));
            }

            var activated = activate && after.ActiveVersion != version.Version;
            if (activated)
            {
                await ChangeActiveAsync(c, t, caller, after, version.Version, "activate", now);
            }
            else if (created)
            {
                await PolicyCatalog.BumpEpochAsync(c, t, caller.ProjectId);
            }

            return (new PolicyPushed(version, created, activated || after.ActiveVersion == version.Version), activated, after.ActiveVersion);
        }, cancellationToken);

        catalog.Remember(policy);
        if (pushed.Created)
        {
            Log.PolicyPushed(logger, policy.Name, pushed.Version.Version, pushed.Version.Hash, caller.ProjectId, caller.KeyId);
        }

        if (activated)
        {
            LogChange(caller, policy.Name, "activate", pushed.Version.Version, previous);
        }

        return pushed;
    }

    /// <summary>Every policy of the caller's project, by name.</summary>
    public Task<IReadOnlyList<PolicySummary>> ListAsync(Caller caller, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        return database.ReadAsync(c => PolicyStore.ListAsync(c, caller.ProjectId, MaxPoliciesPerProject), cancellationToken);
    }

    /// <summary>The policy with its newest <see cref="MaxHistory"/> versions and activations; null when the project has no such policy.</summary>
    public async Task<PolicyHistory?> GetAsync(Caller caller, string name, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        ValidateName(name);
        return await database.ReadAsync(async c =>
        {
            var policy = await PolicyStore.GetAsync(c, null, caller.ProjectId, name);
            return policy is null ? null : new PolicyHistory(
                policy,
                await PolicyStore.ListVersionsAsync(c, caller.ProjectId, name, MaxHistory),
                await PolicyStore.ListActivationsAsync(c, null, caller.ProjectId, name, MaxHistory));
        }, cancellationToken);
    }

    /// <summary>A version with its source and test results (run again: they are deterministic); null when there is no such version.</summary>
    public async Task<PolicyVersionDetail?> GetVersionAsync(Caller caller, string name, int version, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        ValidateName(name);
        var (policy, stored) = await database.ReadAsync(async c =>
            (await PolicyStore.GetAsync(c, null, caller.ProjectId, name), await PolicyStore.GetVersionAsync(c, null, caller.ProjectId, name, version, withSource: true)),
            cancellationToken);
        if (policy is null || stored is null)
        {
            return null;
        }

        var parsed = catalog.Parsed(name, version, stored.Hash, stored.Source!);
        return new PolicyVersionDetail(stored, policy.ActiveVersion == version, PolicyTests.Run(parsed));
    }

    /// <summary>A line diff of two versions' sources.</summary>
    /// <exception cref="ReinProblemException">404 naming the policy or the version that does not exist.</exception>
    public async Task<PolicyDiff> DiffAsync(Caller caller, string name, int from, int to, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Read);
        ValidateName(name);
        var (before, after) = await database.ReadAsync(async c =>
        {
            var policy = await PolicyStore.GetAsync(c, null, caller.ProjectId, name) ?? throw NoPolicy(caller, name);
            return (await PolicyStore.GetVersionAsync(c, null, caller.ProjectId, name, from, withSource: true) ?? throw NoVersion(caller, policy, from),
                await PolicyStore.GetVersionAsync(c, null, caller.ProjectId, name, to, withSource: true) ?? throw NoVersion(caller, policy, to));
        }, cancellationToken);
        return new PolicyDiff(name, from, to, TextDiff.Lines(before.Source!, after.Source!));
    }

    /// <summary>Makes a version the active one. Activating the active version changes nothing.</summary>
    /// <exception cref="ReinProblemException">404 naming the policy or the version that does not exist.</exception>
    public async Task<PolicyVersionRecord> ActivateAsync(Caller caller, string name, int version, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        ValidateName(name);
        var (stored, previous) = await database.WriteAsync(async (c, t) =>
        {
            var policy = await PolicyStore.LockAsync(c, t, caller.ProjectId, name) ?? throw NoPolicy(caller, name);
            var stored = await PolicyStore.GetVersionAsync(c, t, caller.ProjectId, name, version, withSource: false) ?? throw NoVersion(caller, policy, version);
            if (policy.ActiveVersion == version)
            {
                return (stored, (int?)version);
            }

            await ChangeActiveAsync(c, t, caller, policy, version, "activate", Truncate(time.GetUtcNow()));
            return (stored, policy.ActiveVersion);
        }, cancellationToken);
        if (previous != version)
        {
            LogChange(caller, name, "activate", version, previous);
        }

        return stored;
    }

    /// <summary>Makes the version that was active before the current activation active again.</summary>
    /// <exception cref="ReinProblemException">404 when there is no such policy; 409 when nothing is active, or
    /// nothing was active before the current version.</exception>
    public async Task<PolicyVersionRecord> RollbackAsync(Caller caller, string name, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        ValidateName(name);
        var rolledBack = await database.WriteAsync(async (c, t) =>
        {
            var policy = await PolicyStore.LockAsync(c, t, caller.ProjectId, name) ?? throw NoPolicy(caller, name);
            if (policy.ActiveVersion is not { } current)
            {
                throw ReinProblemException.Conflict($"policy {name} has no active version to roll back from; activate a version instead");
            }

            // Every change of the active version is recorded, so the entry before the newest says what was active before it.
            var recent = await PolicyStore.ListActivationsAsync(c, t, caller.ProjectId, name, 2);
            if (recent.Count < 2 || recent[1].Version is not { } previous)
            {
                throw ReinProblemException.Conflict(
                    $"policy {name} had no active version before version {current} was activated, so there is nothing to roll back to; deactivate it or activate another version");
            }

            var stored = await PolicyStore.GetVersionAsync(c, t, caller.ProjectId, name, previous, withSource: false) ?? throw NoVersion(caller, policy, previous);
            await ChangeActiveAsync(c, t, caller, policy, previous, "rollback", Truncate(time.GetUtcNow()));
            return (stored, current);
        }, cancellationToken);
        LogChange(caller, name, "rollback", rolledBack.stored.Version, rolledBack.current);
        return rolledBack.stored;
    }

    /// <summary>Leaves the policy with no active version, so the gate no longer applies it. Deactivating an inactive
    /// policy changes nothing.</summary>
    /// <exception cref="ReinProblemException">404 when there is no such policy.</exception>
    public async Task<PolicyRecord> DeactivateAsync(Caller caller, string name, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        ValidateName(name);
        var (before, after) = await database.WriteAsync(async (c, t) =>
        {
            var policy = await PolicyStore.LockAsync(c, t, caller.ProjectId, name) ?? throw NoPolicy(caller, name);
            return (policy, policy.ActiveVersion is null ? policy : await ChangeActiveAsync(c, t, caller, policy, null, "deactivate", Truncate(time.GetUtcNow())));
        }, cancellationToken);
        if (before.ActiveVersion is not null)
        {
            LogChange(caller, name, "deactivate", null, before.ActiveVersion);
        }

        return after;
    }

    /// <summary>True for a name that may appear in a URL: <c>^[a-z0-9][a-z0-9._-]{0,127}$</c>.</summary>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <exception cref="ReinProblemException">400 naming <c>name</c>.</exception>
    public static void ValidateName(string? name)
    {
        if (!IsValidName(name))
        {
            throw ReinProblemException.Invalid("name", $"'{Shorten(name)}' is not a policy name: use {NameRule}");
        }
    }

    /// <summary>The one place the active version changes: records the activation, audits it and moves the epoch.</summary>
    private async Task<PolicyRecord> ChangeActiveAsync(DbConnection c, DbTransaction t, Caller caller, PolicyRecord before, int? version, string action, DateTimeOffset now)
    {
        await PolicyStore.SetActiveAsync(c, t, caller.ProjectId, before.Name, version, action, now, caller.KeyId);
        var after = before with { ActiveVersion = version, UpdatedAt = now };
        await audit.AppendAsync(c, t, caller.ProjectId, new AuditEvent(
            caller.KeyId, "policy." + action, "policy", before.Name, Digest(before), Digest(after),
            JsonSerializer.Serialize(new { version, previous = before.ActiveVersion })));
        await PolicyCatalog.BumpEpochAsync(c, t, caller.ProjectId);
        return after;
    }

    /// <summary>Logged after the commit, so a retried transaction logs once.</summary>
    private void LogChange(Caller caller, string name, string action, int? version, int? previous) =>
        Log.PolicyActiveChanged(logger, name, action, version?.ToString(CultureInfo.InvariantCulture) ?? "none",
            previous?.ToString(CultureInfo.InvariantCulture) ?? "none", caller.ProjectId, caller.KeyId);

    private Policy Check(Caller caller, string source, string file)
    {
        var bytes = Encoding.UTF8.GetByteCount(source);
        var max = PolicyLimits.Default.MaxSourceBytes;
        if (bytes > max)
        {
            throw new ReinProblemException(StatusCodes.Status413PayloadTooLarge, "Policy too large",
                $"the policy file is {bytes} bytes; at most {max} bytes ({max / 1024} KiB) are allowed: split it into several policies");
        }

        try
        {
            var policy = PolicyParser.Parse(source, file);
            return IsValidName(policy.Name)
                ? policy
                : throw new PolicyException([new PolicyProblem(file, 1, 1, $"name '{Shorten(policy.Name)}' is not a policy name: use {NameRule}")]);
        }
        catch (PolicyException e)
        {
            Log.PolicyRefused(logger, file, caller.ProjectId, caller.KeyId, e.Message);
            var more = e.Problems.Count > 1 ? $" (and {e.Problems.Count - 1} more)" : "";
            throw new ReinProblemException(StatusCodes.Status422UnprocessableEntity, "Invalid policy", e.Message + more)
            {
                Extensions = new Dictionary<string, object?> { ["problems"] = e.Problems },
            };
        }
    }

    private static ReinProblemException TestsFailed(string file, PolicyTestReport report)
    {
        var failed = report.Results.Where(r => !r.Passed).ToList();
        var first = failed[0];
        return new ReinProblemException(StatusCodes.Status422UnprocessableEntity, "Policy tests failed",
            $"{failed.Count} of {report.Results.Count} tests of policy {report.Policy} failed; first: {file}:{first.Line}: {first.Name}: {first.Failure}")
        {
            Extensions = new Dictionary<string, object?> { ["tests"] = failed.Select(r => new PolicyTestOutcome(r.Name, r.Line, r.Passed, r.Failure)).ToList() },
        };
    }

    private static string ValidateFile(string? file)
    {
        var trimmed = file?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return DefaultFile;
        }

        if (trimmed.Length > MaxFileLength)
        {
            throw ReinProblemException.Invalid("file", $"is {trimmed.Length} characters long; at most {MaxFileLength} are allowed");
        }

        return trimmed.Any(char.IsControl) ? throw ReinProblemException.Invalid("file", "must not contain control characters") : trimmed;
    }

    private static ReinProblemException NoPolicy(Caller caller, string name) =>
        ReinProblemException.NotFound($"project {caller.ProjectId} has no policy {name}");

    private static ReinProblemException NoVersion(Caller caller, PolicyRecord policy, int version) =>
        ReinProblemException.NotFound($"policy {policy.Name} of project {caller.ProjectId} has no version {version}; its versions are 1 to {policy.LatestVersion}");

    /// <summary>The state the audit log records for a policy: which version is newest and which is active.</summary>
    private static string Digest(PolicyRecord p) => AuditChain.DigestOf(
        ("name", p.Name),
        ("latestVersion", p.LatestVersion.ToString(CultureInfo.InvariantCulture)),
        ("activeVersion", p.ActiveVersion?.ToString(CultureInfo.InvariantCulture)));

    // Storage keeps milliseconds; what is returned must equal what a later read returns.
    private static DateTimeOffset Truncate(DateTimeOffset value) => DateTimeOffset.FromUnixTimeMilliseconds(value.ToUnixTimeMilliseconds());

    private static string Shorten(string? value) => value is { Length: > 80 } ? value[..80] + "..." : value ?? "";

    [GeneratedRegex(@"^[a-z0-9][a-z0-9._-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();
}

/// <summary>One embedded test's outcome as the API reports it.</summary>
public sealed record PolicyTestOutcome(string Name, int Line, bool Passed, string? Failure);
