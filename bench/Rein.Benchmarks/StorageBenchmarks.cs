using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Benchmarks;

/// <summary>
/// The storage side of the two things every request and every change pay: authenticating a key (one indexed read,
/// plus a throttled last-used write) and an audited write (insert plus hash-chained audit append in one
/// transaction). SQLite always; PostgreSQL when REIN_BENCH_POSTGRES holds a connection string (each run gets a schema
/// of its own there, dropped afterwards).
/// </summary>
public abstract class StorageBenchmarkBase
{
    private string _directory = "";
    private ReinDatabase _database = null!;
    protected ApiKeyAuthenticator Authenticator { get; private set; } = null!;

    protected KeyService Keys { get; private set; } = null!;

    protected Caller Admin { get; private set; } = null!;

    protected string AgentKey { get; private set; } = "";

    private string? _schema;

    [ParamsSource(nameof(Databases))]
    public string Database { get; set; } = "sqlite";

    public static IEnumerable<string> Databases() =>
        Environment.GetEnvironmentVariable("REIN_BENCH_POSTGRES") is { Length: > 0 } ? ["sqlite", "postgresql"] : ["sqlite"];

    [GlobalSetup]
    public void Setup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "rein-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _database = Database == "sqlite"
            ? new SqliteReinDatabase(Path.Combine(_directory, "rein.db"))
            : new PostgresReinDatabase(CreateSchema(Environment.GetEnvironmentVariable("REIN_BENCH_POSTGRES")!));
        var time = TimeProvider.System;
        // Unbounded keys: the benchmark creates many.
        var options = new IdentityOptions { MaxActiveKeysPerProject = 100_000 };
        new Migrator(_database, time, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        var audit = new AuditLog(_database, time, NullLogger<AuditLog>.Instance);
        Keys = new KeyService(_database, audit, time, options, NullLogger<KeyService>.Instance);
        var projects = new ProjectService(_database, audit, Keys, time, options, NullLogger<ProjectService>.Instance);
        var created = projects.CreateDefaultAsync(CancellationToken.None).GetAwaiter().GetResult()
            ?? throw new InvalidOperationException("A fresh database should bootstrap.");
        Admin = new Caller(created.AdminKey.Key.Id, "admin", created.Project.Id, Role.Admin);
        AgentKey = Keys.CreateAsync(Admin, "agent", "agent", null, CancellationToken.None).GetAwaiter().GetResult().Value;
        Authenticator = new ApiKeyAuthenticator(_database, time, options);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _database.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
        if (_schema is not null)
        {
            Execute(Environment.GetEnvironmentVariable("REIN_BENCH_POSTGRES")!, $"DROP SCHEMA {_schema} CASCADE");
        }
    }

    private string CreateSchema(string connectionString)
    {
        _schema = "bench_" + Guid.NewGuid().ToString("N")[..12];
        Execute(connectionString, $"CREATE SCHEMA {_schema}");
        return new Npgsql.NpgsqlConnectionStringBuilder(connectionString) { SearchPath = _schema }.ConnectionString;
    }

    private static void Execute(string connectionString, string sql)
    {
        using var connection = new Npgsql.NpgsqlConnection(connectionString);
        connection.Open();
        using var command = new Npgsql.NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }
}


/// <summary>Authenticating a presented key: paid by every API request.</summary>
[MemoryDiagnoser]
public class AuthenticationBenchmarks : StorageBenchmarkBase
{
    [Benchmark]
    public async Task<bool> AuthenticateKey() => (await Authenticator.AuthenticateAsync(AgentKey, CancellationToken.None)).Caller is not null;
}

/// <summary>
/// One audited change (key insert plus hash-chained audit append, committed durably in one transaction). Every
/// invocation adds a key, so the run is a fixed 20 x 200 operations rather than "as many as fit": an open-ended run
/// on SQLite reached Identity:MaxActiveKeysPerProject (100 000 here) and was refused, as it should be.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(BenchmarkDotNet.Engines.RunStrategy.Monitoring, warmupCount: 2, iterationCount: 20, invocationCount: 200)]
public class AuditedWriteBenchmarks : StorageBenchmarkBase
{
    private int _counter;

    [Benchmark]
    public async Task<string> CreateKeyWithAuditEntry() =>
        (await Keys.CreateAsync(Admin, $"bench {Interlocked.Increment(ref _counter)}", "agent", null, CancellationToken.None)).Key.Id;
}
