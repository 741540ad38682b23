using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Rein.Core.Audit;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Storage;

namespace Rein.Server.Identity;

/// <summary>A project as just created, with its first admin key (shown once).</summary>
public sealed record CreatedProject(Project Project, CreatedKey AdminKey);

/// <summary>Creates and lists projects. A new project starts its own audit chain and gets one admin key, which is the
/// only way into it: keys never reach across projects.</summary>
public sealed partial class ProjectService(ReinDatabase database, AuditLog audit, KeyService keys, TimeProvider time, IdentityOptions options, ILogger<ProjectService> logger)
{
    public const int MaxNameLength = 100;
    public const int MaxPageSize = 1000;

    /// <summary>Lowercase letters, digits and inner hyphens, 2 to 40 characters: safe in URLs, paths and file names.</summary>
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex IdPattern();

    /// <summary>Creates a project on behalf of a server admin; the creation is audited in both the admin's project and the new one.</summary>
    public async Task<CreatedProject> CreateAsync(Caller caller, string? id, string? name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        if (!caller.IsServerAdmin)
        {
            throw new ReinProblemException(Microsoft.AspNetCore.Http.StatusCodes.Status403Forbidden, "Forbidden", ServerAdminRequirement.Describe());
        }

        var validId = id?.Trim() ?? "";
        if (!IdPattern().IsMatch(validId))
        {
            throw ReinProblemException.Invalid("id", validId.Length == 0
                ? "is required: a short name such as 'support' or 'team-a'"
                : $"'{validId}' is not a project id: use 2 to 40 lowercase letters, digits and inner hyphens");
        }

        var validName = string.IsNullOrWhiteSpace(name) ? validId : name.Trim();
        if (validName.Length > MaxNameLength || validName.Any(char.IsControl))
        {
            throw ReinProblemException.Invalid("name", $"must be at most {MaxNameLength} characters without control characters");
        }

        var created = await CreateCoreAsync(caller.KeyId, caller.ProjectId, validId, validName, cancellationToken);
        Log.ProjectCreated(logger, validId, caller.KeyId);
        return created;
    }

    /// <summary>Creates the default project on first start, if no project exists yet; null when one does.</summary>
    internal async Task<CreatedProject?> CreateDefaultAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await CreateCoreAsync("system", null, Project.DefaultId, "Default project", cancellationToken, onlyIfEmpty: true);
        }
        catch (Exception e) when (database.IsUniqueViolation(e))
        {
            // Another replica bootstrapped at the same moment.
            return null;
        }
    }

    private async Task<CreatedProject> CreateCoreAsync(string actor, string? actorProject, string id, string name, CancellationToken cancellationToken, bool onlyIfEmpty = false)
    {
        try
        {
            return (await database.WriteAsync(async (c, t) =>
            {
                var count = await IdentityStore.CountProjectsAsync(c, t);
                if (onlyIfEmpty && count > 0)
                {
                    return null;
                }

                if (count >= options.MaxProjects)
                {
                    throw ReinProblemException.Conflict($"this server already has {count} projects, the limit (Identity:MaxProjects)");
                }

                var now = DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
                var project = new Project(id, name, now, actor);
                await IdentityStore.InsertProjectAsync(c, t, project);
                await AuditLog.StartChainAsync(c, t, id);
                var digest = Digest(project);
                var details = JsonSerializer.Serialize(new { name });
                await audit.AppendAsync(c, t, id, new AuditEvent(actor, "project.create", "project", id, null, digest, details));
                if (actorProject is not null)
                {
                    await audit.AppendAsync(c, t, actorProject, new AuditEvent(actor, "project.create", "project", id, null, digest, details));
                }

                var key = await keys.InsertAsync(c, t, id, actor, "admin (created with the project)", Role.Admin, null, now);
                return new CreatedProject(project, key);
            }, cancellationToken))!;
        }
        catch (Exception e) when (database.IsUniqueViolation(e) && !onlyIfEmpty)
        {
            throw ReinProblemException.Conflict($"a project with id '{id}' already exists");
        }
    }

    /// <summary>Server admins see every project; everyone else sees their own.</summary>
    public async Task<Page<Project>> ListAsync(Caller caller, string? after, int limit, CancellationToken cancellationToken)
    {
        Permissions.Demand(caller, Permission.Administer);
        if (!caller.IsServerAdmin)
        {
            var own = await GetAsync(caller, caller.ProjectId, cancellationToken);
            return new Page<Project>(own is null || (after is not null && string.CompareOrdinal(own.Id, after) <= 0) ? [] : [own], null);
        }

        var items = await database.ReadAsync(c => IdentityStore.ListProjectsAsync(c, after, limit + 1), cancellationToken);
        return items.Count > limit ? new Page<Project>([.. items.Take(limit)], items[limit - 1].Id) : new Page<Project>(items, null);
    }

    /// <summary>A project the caller may see (its own, or any for a server admin); null otherwise.</summary>
    public Task<Project?> GetAsync(Caller caller, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.IsServerAdmin || caller.ProjectId == id
            ? database.ReadAsync(c => IdentityStore.GetProjectAsync(c, null, id), cancellationToken)
            : Task.FromResult<Project?>(null);
    }

    /// <summary>Projects the caller can see: all of them for a server admin, otherwise its own.</summary>
    public async Task<long> CountAsync(Caller caller, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return caller.IsServerAdmin ? await database.ReadAsync(c => IdentityStore.CountProjectsAsync(c, null), cancellationToken) : 1;
    }

    private static string Digest(Project project) => AuditChain.DigestOf(("id", project.Id), ("name", project.Name));
}
