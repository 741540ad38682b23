using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Rein.Server.Storage;

/// <summary>Storage cannot serve for now, and a retry later may succeed: why, safe to show a client, and how long to
/// wait before retrying.</summary>
public sealed record StorageUnavailable(string Reason, TimeSpan RetryAfter)
{
    /// <summary>The Retry-After header's value: whole seconds.</summary>
    public string RetryAfterSeconds => ((int)Math.Ceiling(RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The one place that tells a storage outage (the database is stopped, unreachable, out of disk, read-only, locked)
/// from any other error, for both engines. An outage is answered 503 with Retry-After (the gate: deny), never 500,
/// and logged when it starts and ends rather than on every request.
/// </summary>
public static class StorageFailure
{
    /// <summary>A lock held elsewhere or a pool that is busy clears in a moment; a stopped server or a full disk takes longer.</summary>
    private static readonly TimeSpan Busy = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(5);

    /// <summary>What the outage is, when <paramref name="exception"/> (or one it wraps) is one; null for other errors.</summary>
    public static StorageUnavailable? Classify(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (Classify1(e) is { } unavailable)
            {
                return unavailable;
            }
        }

        return null;
    }

    private static StorageUnavailable? Classify1(Exception e) => e switch
    {
        // SQLite result codes (https://sqlite.org/rescode.html); the extended code names the cause, the primary is enough here.
        SqliteException { SqliteErrorCode: 5 } => new("the SQLite database is locked by another writer (SQLITE_BUSY)", Busy),
        SqliteException { SqliteErrorCode: 6 } => new("a table of the SQLite database is locked (SQLITE_LOCKED)", Busy),
        SqliteException { SqliteErrorCode: 8 } => new("the SQLite database is read-only (SQLITE_READONLY): check the file's and its folder's permissions and the file system", Down),
        SqliteException { SqliteErrorCode: 10 } => new("the SQLite database could not be read or written (SQLITE_IOERR): check the disk", Down),
        SqliteException { SqliteErrorCode: 13 } => new("the SQLite database's disk is full (SQLITE_FULL)", Down),
        SqliteException { SqliteErrorCode: 14 } => new("the SQLite database file cannot be opened (SQLITE_CANTOPEN): check that it and its folder exist and are writable", Down),

        // PostgreSQL SQLSTATE classes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
        PostgresException p when p.SqlState.StartsWith("08", StringComparison.Ordinal) => new($"the PostgreSQL connection failed ({p.SqlState})", Down),
        PostgresException p when p.SqlState.StartsWith("53", StringComparison.Ordinal) => new($"PostgreSQL is out of resources ({p.SqlState}: {p.MessageText})", Down),
        PostgresException p when p.SqlState.StartsWith("58", StringComparison.Ordinal) => new($"PostgreSQL reports a system error ({p.SqlState})", Down),
        PostgresException { SqlState: "57P01" or "57P02" or "57P03" } p => new($"PostgreSQL is shutting down or starting up ({p.SqlState})", Down),
        PostgresException { SqlState: "25006" } => new("PostgreSQL is read-only (a standby, or default_transaction_read_only)", Down),
        PostgresException => null,
        NpgsqlException { InnerException: TimeoutException } => new("no PostgreSQL connection became free in time (the pool is exhausted or the server does not answer)", Busy),
        NpgsqlException { InnerException: SocketException or IOException or EndOfStreamException } or NpgsqlException { IsTransient: true } => new("PostgreSQL cannot be reached", Down),
        SocketException => new("the database cannot be reached", Down),
        _ => null,
    };
}
