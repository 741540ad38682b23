using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace Rein.Server.Storage;

/// <summary>SQLite in WAL mode: one file, readers never block the writer. Writers take the lock when they begin
/// (BEGIN IMMEDIATE) so two writers queue on the busy timeout instead of failing on an upgrade deadlock.</summary>
public sealed class SqliteReinDatabase : ReinDatabase
{
    private readonly string _connectionString;

    // SQLite has one writer at a time, and Microsoft.Data.Sqlite answers a writer that finds the lock taken by sleeping
    // 150 ms before it tries again: two of this server's writers meeting (the gate's writer, trace ingest, the gateway)
    // cost the second one 150 ms. Taking turns here first, they never meet in SQLite.
    private readonly SemaphoreSlim _writeTurn = new(1, 1);

    public SqliteReinDatabase(string path)
    {
        FilePath = Path.GetFullPath(path);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FilePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            ForeignKeys = true,
            // Microsoft.Data.Sqlite retries SQLITE_BUSY until the command timeout; 30 s covers any write we make.
            DefaultTimeout = 30,
        }.ToString();
    }

    public string FilePath { get; }

    public override DatabaseKind Kind => DatabaseKind.Sqlite;

    public override string Location => FilePath;

    public override async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    public override bool IsUniqueViolation(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 19, SqliteExtendedErrorCode: 1555 or 2067 };

    protected override ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        ValueTask.FromResult<DbTransaction>(((SqliteConnection)connection).BeginTransaction(deferred: false));

    protected override async ValueTask<IDisposable?> TakeWriteTurnAsync(CancellationToken cancellationToken)
    {
        await _writeTurn.WaitAsync(cancellationToken);
        return new Turn(_writeTurn);
    }

    private sealed class Turn(SemaphoreSlim turn) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                turn.Release();
            }
        }
    }

    // SQLITE_BUSY (5) and SQLITE_LOCKED (6) outlasting the busy timeout are worth one more try.
    protected override bool IsRetryable(Exception exception) =>
        exception is SqliteException { SqliteErrorCode: 5 or 6 };

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        _writeTurn.Dispose();
        return ValueTask.CompletedTask;
    }
}
