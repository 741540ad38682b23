using Microsoft.Extensions.Logging.Abstractions;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;
using Rein.Testing;

namespace Rein.Server.Tests.Storage;

/// <summary>The capability services over one migrated, bootstrapped database, with a manual clock.</summary>
public sealed class StorageHarness : IAsyncDisposable
{
    private StorageHarness(ReinDatabase database, IdentityOptions identity)
    {
        Database = database;
        IdentityOptions = identity;
        Migrator = new Migrator(database, Time, NullLogger<Migrator>.Instance);
        Audit = new AuditLog(database, Time, NullLogger<AuditLog>.Instance);
        Keys = new KeyService(database, Audit, Time, identity, NullLogger<KeyService>.Instance);
        Projects = new ProjectService(database, Audit, Keys, Time, identity, NullLogger<ProjectService>.Instance);
        Authenticator = new ApiKeyAuthenticator(database, Time, identity);
    }

    public ReinDatabase Database { get; }

    public ManualTimeProvider Time { get; } = new();

    public IdentityOptions IdentityOptions { get; }

    public Migrator Migrator { get; }

    public AuditLog Audit { get; }

    public KeyService Keys { get; }

    public ProjectService Projects { get; }

    public ApiKeyAuthenticator Authenticator { get; }

    /// <summary>The bootstrap admin of the default project (a server admin).</summary>
    public Caller Admin { get; private set; } = null!;

    public string AdminKey { get; private set; } = "";

    public static async Task<StorageHarness> CreateAsync(ReinDatabase database, Action<IdentityOptions>? configure = null)
    {
        var identity = new IdentityOptions();
        configure?.Invoke(identity);
        var harness = new StorageHarness(database, identity);
        await harness.Migrator.MigrateAsync(CancellationToken.None);
        var created = await harness.Projects.CreateDefaultAsync(CancellationToken.None)
            ?? throw new InvalidOperationException("A fresh database should bootstrap.");
        harness.AdminKey = created.AdminKey.Value;
        harness.Admin = new Caller(created.AdminKey.Key.Id, created.AdminKey.Key.Name, created.Project.Id, Role.Admin);
        return harness;
    }

    /// <summary>A key of the given role in the caller's project, as a caller.</summary>
    public async Task<(Caller Caller, string Key)> CreateCallerAsync(Role role, Caller? creator = null, string name = "test")
    {
        var created = await Keys.CreateAsync(creator ?? Admin, name, role.ToName(), null, CancellationToken.None);
        return (new Caller(created.Key.Id, created.Key.Name, created.Key.ProjectId, role), created.Value);
    }

    /// <summary>A second project and its admin, for isolation tests.</summary>
    public async Task<(Caller Admin, string Key)> CreateProjectAsync(string id)
    {
        var created = await Projects.CreateAsync(Admin, id, null, CancellationToken.None);
        return (new Caller(created.AdminKey.Key.Id, created.AdminKey.Key.Name, id, Role.Admin), created.AdminKey.Value);
    }

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}

/// <summary>Base of every storage suite: each test gets a fresh database of the dialect the subclass picks.</summary>
public abstract class StorageTestBase : IAsyncLifetime
{
    private readonly TempDirectory _directory = new("rein-store");

    protected StorageHarness H { get; private set; } = null!;

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected abstract Task<ReinDatabase> OpenDatabaseAsync(TempDirectory directory);

    protected virtual void ConfigureIdentity(IdentityOptions options)
    {
    }

    public async ValueTask InitializeAsync() =>
        H = await StorageHarness.CreateAsync(await OpenDatabaseAsync(_directory), ConfigureIdentity);

    public async ValueTask DisposeAsync()
    {
        if (H is not null)
        {
            await H.DisposeAsync();
        }

        _directory.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>How each dialect's subclass opens its fresh database.</summary>
public static class Dialects
{
    public static Task<ReinDatabase> SqliteAsync(TempDirectory directory) =>
        Task.FromResult<ReinDatabase>(new SqliteReinDatabase(directory.Combine("rein.db")));

    public static async Task<ReinDatabase> PostgresAsync(PostgresCluster cluster) =>
        new PostgresReinDatabase(await cluster.CreateDatabaseAsync());
}
