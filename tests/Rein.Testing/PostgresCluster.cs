using System.Diagnostics;
using Npgsql;

namespace Rein.Testing;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb into a temp folder, pg_ctl start on a free loopback port, removed on
/// dispose. Each test gets its own database from <see cref="CreateDatabaseAsync"/>. Used as an xunit assembly
/// fixture, so one cluster serves a whole test assembly.
/// When PostgreSQL is not installed, <see cref="Require"/> skips the test locally and fails it in CI.
/// </summary>
public sealed class PostgresCluster : IAsyncLifetime
{
    private TempDirectory? _directory;
    private string? _binDir;
    private int _databases;

    public int Port { get; private set; }

    /// <summary>Why the cluster is not there, when it is not.</summary>
    public string? UnavailableReason { get; private set; }

    /// <summary>Connection string to the maintenance database.</summary>
    public string AdminConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Pooling=false";

    public async ValueTask InitializeAsync()
    {
        _binDir = FindBinDir();
        if (_binDir is null)
        {
            UnavailableReason = "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH); install the postgresql package to run the PostgreSQL tests.";
            return;
        }

        _directory = new TempDirectory("rein-pg");
        var data = _directory.Combine("data");
        Port = Network.FreePort();
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            // initdb refuses to run as root; the cluster belongs to the postgres user the package created.
            await RunAsync("chown", ["-R", "postgres:postgres", _directory.Path]);
        }

        await RunAsync(Path.Combine(_binDir, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"], asRoot);
        await StartAsync();
    }

    /// <summary>Stops the server (fast shutdown: sessions are ended), as an outage would, keeping its data.</summary>
    public async Task StopAsync()
    {
        Require();
        await RunAsync(Path.Combine(_binDir!, "pg_ctl"), ["-D", _directory!.Combine("data"), "-m", "fast", "-w", "-t", "60", "stop"], Environment.UserName == "root");
    }

    /// <summary>Starts the server (again) on the same port and data.</summary>
    public async Task StartAsync()
    {
        // Durability settings off: a test cluster is thrown away, and it starts and writes much faster this way.
        var options = $"-p {Port} -k {_directory!.Path} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
        await RunAsync(Path.Combine(_binDir!, "pg_ctl"), ["-D", _directory.Combine("data"), "-o", options, "-l", _directory.Combine("log"), "-w", "-t", "60", "start"], Environment.UserName == "root");
    }

    public async ValueTask DisposeAsync()
    {
        if (_binDir is not null && _directory is not null && Port != 0)
        {
            try
            {
                await RunAsync(Path.Combine(_binDir, "pg_ctl"), ["-D", _directory.Combine("data"), "-m", "immediate", "-w", "stop"], Environment.UserName == "root");
            }
            catch (InvalidOperationException)
            {
                // Already stopped.
            }
        }

        _directory?.Dispose();
    }

    /// <summary>Skips (locally) or fails (in CI) the calling test when there is no cluster.</summary>
    public void Require()
    {
        if (UnavailableReason is not null)
        {
            Requirements.Unavailable(UnavailableReason);
        }
    }

    /// <summary>A new, empty database; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        Require();
        var name = $"rein_test_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return $"Host=127.0.0.1;Port={Port};Username=postgres;Database={name}";
    }

    private static string? FindBinDir()
    {
        var root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var best = Directory.GetDirectories(root)
                .Select(d => (Dir: d, Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "bin", "initdb")))
                .OrderByDescending(d => d.Version)
                .FirstOrDefault();
            if (best.Dir is not null)
            {
                return Path.Combine(best.Dir, "bin");
            }
        }

        var initdb = Requirements.FindExecutable("initdb");
        return initdb is null ? null : Path.GetDirectoryName(initdb);
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, bool asPostgres = false)
    {
        var info = new ProcessStartInfo(asPostgres ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = "/tmp",
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        }
    }
}
