using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Rein.Server.Identity;

namespace Rein.Server.Storage;

/// <summary>Runs before the server accepts requests: migrates the schema, then bootstraps an empty database.
/// A failure here stops the start.</summary>
internal sealed class StorageInitializer(
    ReinDatabase database, Migrator migrator, Bootstrapper bootstrapper, TimeProvider time, ILogger<StorageInitializer> logger, ILogger<StorageHealth> healthLogger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        database.Health.Attach(healthLogger, time);
        try
        {
            if (database is SqliteReinDatabase sqlite)
            {
                var narrowed = DataFolder.SecureDatabaseFiles(sqlite.FilePath);
                if (narrowed.Count > 0)
                {
                    Log.DatabaseFilesNarrowed(logger, string.Join(", ", narrowed));
                }
            }

            await migrator.MigrateAsync(cancellationToken);
        }
        catch (ReinStartupException)
        {
            throw;
        }
        catch (Exception e) when (e is System.Data.Common.DbException or System.Net.Sockets.SocketException or TimeoutException or IOException or UnauthorizedAccessException)
        {
            throw new ReinStartupException($"Cannot use the {database.KindName} database at {database.Location}: {e.Message}", e);
        }

        Log.SchemaReady(logger, migrator.LatestVersion, database.KindName, database.Location);
        await bootstrapper.RunAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
