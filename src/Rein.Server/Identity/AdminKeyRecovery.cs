using System.Data.Common;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Storage;

namespace Rein.Server.Identity;

/// <summary>
/// Creates a new admin key in a project by writing to the database directly, for when every admin key of the project
/// is lost (no key crosses projects, so nobody else can help). Whoever can run this can already read and write the
/// database, so it grants nothing new; it is audited like any other key creation, with actor <c>system</c>.
/// </summary>
public static class AdminKeyRecovery
{
    public const string KeyName = "admin (recovered with rein keys recover)";

    /// <exception cref="ReinConfigurationException">A setting is invalid.</exception>
    /// <exception cref="ReinStartupException">The database cannot be used: missing, unreachable, or at another schema version.</exception>
    /// <exception cref="ReinProblemException">The project does not exist (404).</exception>
    public static async Task<CreatedKey> CreateAdminKeyAsync(ReinServerSettings settings, string projectId, CancellationToken cancellationToken)
    {
        var configuration = ReinServer.LoadConfiguration(settings);
        var time = settings.TimeProvider ?? TimeProvider.System;
        await using var database = configuration.Get<ReinOptions>().ResolveDatabase().Open();
        if (database is SqliteReinDatabase sqlite && !File.Exists(sqlite.FilePath))
        {
            throw new ReinStartupException($"There is no Rein database at {sqlite.FilePath}. Pass the --data-dir or --database that 'rein serve' uses.");
        }

        var migrator = new Migrator(database, time, NullLogger<Migrator>.Instance);
        int version;
        try
        {
            version = await migrator.GetVersionAsync(cancellationToken);
        }
        catch (Exception e) when (e is DbException or System.Net.Sockets.SocketException or TimeoutException or IOException)
        {
            throw new ReinStartupException($"Cannot use the {database.KindName} database at {database.Location}: {e.Message}", e);
        }

        if (version != migrator.LatestVersion)
        {
            throw new ReinStartupException(version == 0
                ? $"The {database.KindName} database at {database.Location} has no Rein schema. Start 'rein serve' on it once: the first start prints an admin key."
                : $"The database schema is at version {version}; this build of rein works with version {migrator.LatestVersion}. Run the rein that matches the server.");
        }

        var identity = configuration.Get<IdentityOptions>();
        var audit = new AuditLog(database, time, NullLogger<AuditLog>.Instance);
        var keys = new KeyService(database, audit, time, identity, NullLogger<KeyService>.Instance);
        return await database.WriteAsync(async (c, t) =>
        {
            _ = await IdentityStore.GetProjectAsync(c, t, projectId)
                ?? throw ReinProblemException.NotFound($"there is no project '{projectId}' in the {database.KindName} database at {database.Location}");
            return await keys.InsertAsync(c, t, projectId, "system", KeyName, Role.Admin, null, time.GetUtcNow());
        }, cancellationToken);
    }
}
