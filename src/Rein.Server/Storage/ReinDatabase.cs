using System.Data.Common;

namespace Rein.Server.Storage;

/// <summary>Which engine holds the data.</summary>
public enum DatabaseKind
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The one way capability stores reach the database: short read scopes and write transactions. A write runs its work
/// in one transaction and retries it when the engine reports a conflict that a retry resolves.
/// </summary>
public abstract class ReinDatabase : IAsyncDisposable
{
    static ReinDatabase()
    {
        // Columns are snake_case; rows are plain classes.
        Dapper.DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    /// <summary>Transient write conflicts are retried this many times before the error surfaces.</summary>
    protected const int MaxWriteAttempts = 4;

    public abstract DatabaseKind Kind { get; }

    /// <summary>Where the data lives, safe to print: a file path, or host, port and database without credentials.</summary>
    public abstract string Location { get; }

    public string KindName => Kind == DatabaseKind.Sqlite ? "sqlite" : "postgresql";

    public abstract ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Whether storage serves, as this server's writes find it; every write through <see cref="WriteAsync{T}"/>
    /// reports to it.</summary>
    public StorageHealth Health { get; }

    protected ReinDatabase() => Health = new StorageHealth(DropIdleConnections);

    /// <summary>Called on every storage outage: pooled connections that outlived a database restart would otherwise
    /// fail the first requests after it comes back.</summary>
    protected virtual void DropIdleConnections()
    {
    }

    public async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            return await work(connection);
        }
        catch (Exception e)
        {
            Health.Failed(e, KindName, Location);
            throw;
        }
    }

    public async Task<T> WriteAsync<T>(Func<DbConnection, DbTransaction, Task<T>> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                using var turn = await TakeWriteTurnAsync(cancellationToken);
                await using var connection = await OpenAsync(cancellationToken);
                await using var transaction = await BeginWriteAsync(connection, cancellationToken);
                try
                {
                    var result = await work(connection, transaction);
                    await transaction.CommitAsync(cancellationToken);
                    Health.Succeeded(KindName, Location);
                    return result;
                }
                catch (Exception e) when (attempt < MaxWriteAttempts && IsRetryable(e))
                {
                    await transaction.RollbackAsync(CancellationToken.None);
                    await Task.Delay(TimeSpan.FromMilliseconds(10 * attempt), cancellationToken);
                }
            }
        }
        catch (Exception e)
        {
            Health.Failed(e, KindName, Location);
            throw;
        }
    }

    /// <summary>A write that changes nothing but must reach the disk (or the server's WAL): whether writes succeed now.</summary>
    /// <exception cref="System.Data.Common.DbException">They do not.</exception>
    public Task ProbeWriteAsync(CancellationToken cancellationToken) =>
        WriteAsync((c, t) => Dapper.SqlMapper.ExecuteAsync(c,
            "UPDATE schema_migrations SET applied_at = applied_at WHERE version = (SELECT MAX(version) FROM schema_migrations)", transaction: t), cancellationToken);

    public Task WriteAsync(Func<DbConnection, DbTransaction, Task> work, CancellationToken cancellationToken) =>
        WriteAsync<bool>(async (c, t) =>
        {
            await work(c, t);
            return true;
        }, cancellationToken);

    /// <summary>True when an exception is a unique-key violation (a concurrent insert of the same key).</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    protected abstract ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>Waits until this process may write, for engines with one writer at a time; disposing it lets the next
    /// writer go. The default lets every writer go at once (the engine sorts them out).</summary>
    protected virtual ValueTask<IDisposable?> TakeWriteTurnAsync(CancellationToken cancellationToken) => ValueTask.FromResult<IDisposable?>(null);

    protected abstract bool IsRetryable(Exception exception);

    public abstract ValueTask DisposeAsync();
}
