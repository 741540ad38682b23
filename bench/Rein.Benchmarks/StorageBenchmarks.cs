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
/// transaction). SQLite always; PostgreSQL when REIN_BENCH_POSTGRES holds a connection string to an empty database.
/// </summary>
[MemoryDiagnoser]
public class StorageBenchmarks
{
    private string _directory = "";
    private ReinDatabase _database = null!;
    private ApiKeyAuthenticator _authenticator = null!;
    private KeyService _keys = null!;
    private Caller _admin = null!;
    private string _agentKey = "";
    private int _counter;

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
            : new PostgresReinDatabase(Environment.GetEnvironmentVariable("REIN_BENCH_POSTGRES")!);
        var time = TimeProvider.System;
        // Unbounded keys: the benchmark creates many.
        var options = new IdentityOptions { MaxActiveKeysPerProject = 100_000 };
        new Migrator(_database, time, NullLogger<Migrator>.Instance).MigrateAsync(CancellationToken.None).GetAwaiter().GetResult();
        var audit = new AuditLog(_database, time, NullLogger<AuditLog>.Instance);
        _keys = new KeyService(_database, audit, time, options, NullLogger<KeyService>.Instance);
        var projects = new ProjectService(_database, audit, _keys, time, options, NullLogger<ProjectService>.Instance);
        var created = projects.CreateDefaultAsync(CancellationToken.None).GetAwaiter().GetResult()
            ?? throw new InvalidOperationException("REIN_BENCH_POSTGRES must point at an empty database.");
        _admin = new Caller(created.AdminKey.Key.Id, "admin", created.Project.Id, Role.Admin);
        _agentKey = _keys.CreateAsync(_admin, "agent", "agent", null, CancellationToken.None).GetAwaiter().GetResult().Value;
        _authenticator = new ApiKeyAuthenticator(_database, time, options);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _database.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark]
    public async Task<bool> AuthenticateKey() => (await _authenticator.AuthenticateAsync(_agentKey, CancellationToken.None)).Caller is not null;

    [Benchmark]
    public async Task<string> CreateKeyWithAuditEntry() =>
        (await _keys.CreateAsync(_admin, $"bench {Interlocked.Increment(ref _counter)}", "agent", null, CancellationToken.None)).Key.Id;
}
