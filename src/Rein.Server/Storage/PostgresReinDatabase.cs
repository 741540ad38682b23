using System.Data;
using System.Data.Common;
using Npgsql;

namespace Rein.Server.Storage;

/// <summary>PostgreSQL through one pooled data source. Several Rein replicas may share the database; writes that must
/// be serialised take row locks inside their transaction.</summary>
public sealed class PostgresReinDatabase : ReinDatabase
{
    private readonly NpgsqlDataSource _dataSource;

    public PostgresReinDatabase(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ApplicationName))
        {
            builder.ApplicationName = "rein";
        }

        if (builder.MaxAutoPrepare == 0)
        {
            // Rein sends the same few statements over and over (key lookups above all); preparing them once per
            // connection saves the parse and plan on every request. An explicit setting wins.
            builder.MaxAutoPrepare = 64;
        }

        Location = $"{builder.Host}:{builder.Port}/{builder.Database ?? builder.Username}";
        _dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
    }

    public override DatabaseKind Kind => DatabaseKind.Postgres;

    public override string Location { get; }

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    public override bool IsUniqueViolation(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

    protected override async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        await ((NpgsqlConnection)connection).BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken);

    protected override bool IsRetryable(Exception exception) =>
        exception is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected };

    protected override void DropIdleConnections() => _dataSource.Clear();

    public override ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
