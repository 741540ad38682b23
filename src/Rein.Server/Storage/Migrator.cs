using System.Data.Common;
using System.Globalization;
using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Rein.Server.Storage;

/// <summary>One versioned schema change, written once per dialect.</summary>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Applies the embedded migrations of the database's dialect in order, each in its own transaction, and refuses a
/// database whose schema is newer than this build. On PostgreSQL an advisory lock keeps replicas that start together
/// from migrating twice; on SQLite BEGIN IMMEDIATE does the same.
/// </summary>
public sealed class Migrator(ReinDatabase database, TimeProvider time, ILogger<Migrator> logger)
{
    // Any constant unique to Rein; pg_advisory_lock keys are process-wide in the cluster.
    private const long PostgresLockKey = 0x5245494E_0001;

    private readonly IReadOnlyList<Migration> _migrations = Load(database.Kind);

    /// <summary>The schema version this build expects.</summary>
    public int LatestVersion => _migrations[^1].Version;

    public static IReadOnlyList<Migration> Load(DatabaseKind kind)
    {
        var folder = kind == DatabaseKind.Sqlite ? "migrations/sqlite/" : "migrations/postgres/";
        var assembly = typeof(Migrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(folder, StringComparison.Ordinal)))
        {
            var file = resource[folder.Length..];
            var separator = file.IndexOf('_', StringComparison.Ordinal);
            var version = int.Parse(file[..separator], NumberStyles.None, CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            migrations.Add(new Migration(version, Path.GetFileNameWithoutExtension(file[(separator + 1)..]), reader.ReadToEnd()));
        }

        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
            {
                throw new InvalidOperationException($"Migrations for {kind} are not numbered 1..n: found {migrations[i].Version} at position {i + 1}.");
            }
        }

        return migrations;
    }

    /// <summary>The applied schema version; 0 for an empty database.</summary>
    public async Task<int> GetVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await ReadVersionAsync(connection, null);
    }

    /// <summary>Brings the schema up to <see cref="LatestVersion"/>; returns the migrations it applied.</summary>
    /// <exception cref="ReinStartupException">The schema is newer than this build understands.</exception>
    public async Task<IReadOnlyList<Migration>> MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        if (database.Kind == DatabaseKind.Sqlite)
        {
            // WAL is a property of the file: set once, it stays.
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
        }
        else
        {
            await connection.ExecuteAsync("SELECT pg_advisory_lock(@key)", new { key = PostgresLockKey });
        }

        try
        {
            var applied = new List<Migration>();
            while (true)
            {
                await using var transaction = await BeginAsync(connection, cancellationToken);
                await connection.ExecuteAsync(CreateVersionTable, transaction: transaction);
                var current = await ReadVersionAsync(connection, transaction);
                if (current > LatestVersion)
                {
                    throw new ReinStartupException(
                        $"The database schema is at version {current}, newer than this build of rein supports (version {LatestVersion}). " +
                        "Run the newer rein that upgraded it, or point --database at another database.");
                }

                if (current == LatestVersion)
                {
                    await transaction.CommitAsync(cancellationToken);
                    return applied;
                }

                var next = _migrations[current];
                await connection.ExecuteAsync(next.Sql, transaction: transaction);
                await connection.ExecuteAsync(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @At)",
                    new { next.Version, next.Name, At = time.GetUtcNow().ToUnixTimeMilliseconds() },
                    transaction);
                await transaction.CommitAsync(cancellationToken);
                Log.MigrationApplied(logger, next.Version, next.Name, database.KindName);
                applied.Add(next);
            }
        }
        finally
        {
            if (database.Kind == DatabaseKind.Postgres)
            {
                await connection.ExecuteAsync("SELECT pg_advisory_unlock(@key)", new { key = PostgresLockKey });
            }
        }
    }

    private const string CreateVersionTable =
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

    private static async ValueTask<DbTransaction> BeginAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection is Microsoft.Data.Sqlite.SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : await ((NpgsqlConnection)connection).BeginTransactionAsync(cancellationToken);

    private async Task<int> ReadVersionAsync(DbConnection connection, DbTransaction? transaction)
    {
        var exists = database.Kind == DatabaseKind.Sqlite
            ? await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", transaction: transaction) > 0
            : await connection.ExecuteScalarAsync<bool>("SELECT to_regclass('schema_migrations') IS NOT NULL", transaction: transaction);
        return exists
            ? (int)await connection.ExecuteScalarAsync<long>("SELECT coalesce(max(version), 0) FROM schema_migrations", transaction: transaction)
            : 0;
    }
}
