using System.Net.Http.Json;
using Rein.Testing;

namespace Rein.Server.Tests.Hosting;

/// <summary>The data folder holds the database and, in it, the dashboard's data-protection keys: only its owner may
/// read it. Real folders and files with real modes.</summary>
public sealed class DataFolderTests
{
    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Open = OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Start_CreatesTheDataFolderOwnerOnly_AndTheDatabaseWalAndShmFilesOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var parent = new TempDirectory();
        var dataDir = parent.Combine("data");
        await using var host = await TestHost.StartAsync(dataDir: dataDir);
        using var client = host.Client(host.AdminKey);
        (await client.PostAsJsonAsync("/api/v1/keys", new { name = "writer", role = "viewer" }, Ct)).EnsureSuccessStatusCode();

        // The server's pooled connections may all be closed at this moment, and SQLite removes -wal and -shm with the
        // last one: a connection of the test's own keeps them there (SQLite gives them the database file's mode).
        await using var reader = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dataDir, "rein.db")}");
        await reader.OpenAsync(Ct);
        await using (var command = reader.CreateCommand())
        {
            command.CommandText = "SELECT count(*) FROM api_keys";
            await command.ExecuteScalarAsync(Ct);
        }

        Assert.Equal(OwnerOnlyFolder, File.GetUnixFileMode(dataDir));
        foreach (var file in new[] { "rein.db", "rein.db-wal", "rein.db-shm", "admin.key" })
        {
            var path = Path.Combine(dataDir, file);
            Assert.True(File.Exists(path), $"{file} is not there");
            Assert.True(File.GetUnixFileMode(path) == OwnerOnlyFile, $"{file} has mode {File.GetUnixFileMode(path)}");
        }
    }

    [Fact]
    public async Task Start_OnADataFolderOthersCanRead_IsRefusedNamingTheFolderItsModeAndTheFix()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, Open);

        var error = await Assert.ThrowsAsync<ReinStartupException>(() => TestHost.StartAsync(dataDir: dir.Path));

        Assert.Contains(dir.Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("0755", error.Message, StringComparison.Ordinal);
        Assert.Contains($"chmod 700 {dir.Path}", error.Message, StringComparison.Ordinal);
        Assert.Contains("AllowSharedDataDir", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(dir.Combine("rein.db")), "the database was created before the refusal");
    }

    [Fact]
    public async Task Start_OnADataFolderOthersCanWrite_IsRefused()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, OwnerOnlyFolder | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);

        var error = await Assert.ThrowsAsync<ReinStartupException>(() => TestHost.StartAsync(dataDir: dir.Path));

        Assert.Contains("0730", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_OnADataFolderItsGroupCanRead_Starts()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, OwnerOnlyFolder | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        await using var host = await TestHost.StartAsync(dataDir: dir.Path);

        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(dir.Combine("rein.db")));
    }

    [Fact]
    public async Task Start_OnAnOpenDataFolder_WithTheOverride_StartsAndStillKeepsTheFilesOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var dir = new TempDirectory();
        File.SetUnixFileMode(dir.Path, Open);

        await using var host = await TestHost.StartAsync(dataDir: dir.Path, settings: new Dictionary<string, string?> { ["AllowSharedDataDir"] = "true" });

        Assert.Equal(Open, File.GetUnixFileMode(dir.Path));
        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(dir.Combine("rein.db")));
    }

    [Fact]
    public async Task Start_OnDatabaseFilesAnEarlierVersionLeftReadable_MakesThemOwnerOnly()
    {
        Assert.SkipWhen(OperatingSystem.IsWindows(), "Unix file modes");
        using var dir = new TempDirectory();
        await using (await TestHost.StartAsync(dataDir: dir.Path))
        {
        }

        var readable = OwnerOnlyFile | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        File.SetUnixFileMode(dir.Combine("rein.db"), readable);
        await using var host = await TestHost.StartAsync(dataDir: dir.Path);

        Assert.Equal(OwnerOnlyFile, File.GetUnixFileMode(dir.Combine("rein.db")));
        Assert.Contains(host.Logs.Entries, e => e.EventId.Id == 1010 && e.Message.Contains("rein.db", StringComparison.Ordinal));
    }
}
