using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Rein.Testing;

namespace Rein.Cli.Tests.Serve;

public sealed class ServeCommandTests(PostgresCluster cluster)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_FirstStart_ShowsTheAdminKeyOnce_AndSavesItOwnerOnly()
    {
        using var dir = new TempDirectory();
        string key;
        await using (var server = await ReinServerProcess.StartAsync(dir.Path))
        {
            key = server.AdminKey;
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(server.DataDir, "admin.key")));
            await server.WaitForOutputAsync("Press Ctrl+C");
            Assert.Contains(key, server.StdOut, StringComparison.Ordinal);
            Assert.Contains("shown only this once", server.StdOut, StringComparison.Ordinal);
            Assert.Contains($"running at {server.Url.ToString().TrimEnd('/')}", server.StdOut, StringComparison.Ordinal);
            // The log lines (as opposed to the welcome text) carry the key id, never the key.
            Assert.DoesNotContain(key, string.Join('\n', server.StdOut.Split('\n').Where(l => l.Contains(" info: ", StringComparison.Ordinal) || l.Contains(" warn: ", StringComparison.Ordinal))), StringComparison.Ordinal);
        }

        await using var again = await ReinServerProcess.StartAsync(dir.Path);
        await again.WaitForOutputAsync("Press Ctrl+C");
        Assert.DoesNotContain("rein_", again.StdOut, StringComparison.Ordinal);
        Assert.Equal(key, again.AdminKey);
    }

    [Fact]
    public async Task Serve_OnSigterm_FinishesTheRequestInFlight_ThenExitsCleanly()
    {
        await using var server = await ReinServerProcess.StartAsync();
        using var client = server.CreateClient();
        var body = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { name = "drained", role = "viewer" }));
        var headersSent = new TaskCompletionSource();
        var release = new TaskCompletionSource();
        var request = client.PostAsync("/api/v1/keys", new SlowContent(body, headersSent, release.Task), Ct);
        await headersSent.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        // Let the server parse the headers and start reading the body before it is told to stop.
        await Task.Delay(300, Ct);

        server.Signal(ReinServerProcess.SIGTERM);
        await server.WaitForOutputAsync("Shutting down");

        Assert.False(server.HasExited);
        await Assert.ThrowsAnyAsync<HttpRequestException>(async () =>
        {
            using var fresh = new HttpClient { BaseAddress = server.Url };
            await fresh.GetAsync("/healthz", Ct);
        });
        release.SetResult();
        using var response = await request;
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Serve_OnSigint_ExitsCleanly()
    {
        await using var server = await ReinServerProcess.StartAsync();

        server.Signal(ReinServerProcess.SIGINT);

        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("REIN_SHUTDOWNTIMEOUT", "soon", "ShutdownTimeout (from REIN_SHUTDOWNTIMEOUT): 'soon' is not a duration")]
    [InlineData("REIN_DATABASE", "Host=;Password=x", "Database (from REIN_DATABASE)")]
    [InlineData("REIN_DASHBOARD__SESSIONLIFETIME", "1s", "Dashboard:SessionLifetime (from REIN_DASHBOARD__SESSIONLIFETIME)")]
    [InlineData("REIN_DATABSE", "x", "DATABSE (from REIN_DATABSE): is not a Rein setting")]
    public async Task Serve_WithABadSetting_ExitsWithUsage_NamingTheSetting(string variable, string value, string expected)
    {
        using var dir = new TempDirectory();

        var result = await ReinBinary.RunAsync(["serve", "--urls", $"http://127.0.0.1:{Network.FreePort()}"], dir.Path, new Dictionary<string, string?> { [variable] = value });

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(expected, result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(dir.Path, ".rein", "rein.db")));
    }

    [Fact]
    public async Task Serve_WithABadFlag_NamesTheFlag()
    {
        using var dir = new TempDirectory();

        var result = await ReinBinary.RunAsync(["serve", "--urls", "ftp://somewhere"], dir.Path);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Urls (from --urls)", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_OnANewerSchema_RefusesToStart()
    {
        using var dir = new TempDirectory();
        await using (await ReinServerProcess.StartAsync(dir.Path))
        {
        }

        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir.Path, ".rein", "rein.db")};Pooling=false"))
        {
            await connection.OpenAsync(Ct);
            await using var command = connection.CreateCommand();
            command.CommandText = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)";
            await command.ExecuteNonQueryAsync(Ct);
        }

        var result = await ReinBinary.RunAsync(["serve", "--urls", $"http://127.0.0.1:{Network.FreePort()}"], dir.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("schema is at version 999, newer than this build of rein supports", result.StdErr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_OnAPortInUse_SaysSo()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var dir = new TempDirectory();

        var result = await ReinBinary.RunAsync(["serve", "--urls", $"http://127.0.0.1:{port}"], dir.Path);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("address already in use", result.StdErr, StringComparison.Ordinal);
        Assert.Contains("--urls", result.StdErr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_WithDatabase_RunsOnPostgreSql()
    {
        var connectionString = await cluster.CreateDatabaseAsync();

        await using var server = await ReinServerProcess.StartAsync(extraArgs: ["--database", connectionString]);
        using var client = server.CreateClient();

        var ready = await client.GetFromJsonAsync<JsonElement>("/readyz", Ct);
        Assert.Equal("postgresql", ready.GetProperty("database").GetString());
        (await client.PostAsJsonAsync("/api/v1/keys", new { name = "on pg", role = "agent" }, Ct)).EnsureSuccessStatusCode();
        var status = await client.GetFromJsonAsync<JsonElement>("/api/v1/status", Ct);
        Assert.Equal(2, status.GetProperty("counts").GetProperty("keys").GetInt64());
        Assert.False(File.Exists(Path.Combine(server.DataDir, "rein.db")));
        Assert.DoesNotContain("Password", server.StdOut, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Serve_WithReinDatabaseVariable_RunsOnPostgreSql()
    {
        var connectionString = await cluster.CreateDatabaseAsync();
        var url = $"postgresql://postgres@127.0.0.1:{new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Port}/{new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database}";

        await using var server = await ReinServerProcess.StartAsync(environment: new Dictionary<string, string?> { ["REIN_DATABASE"] = url });
        using var client = server.CreateClient();

        Assert.Equal("postgresql", (await client.GetFromJsonAsync<JsonElement>("/readyz", Ct)).GetProperty("database").GetString());
    }

    /// <summary>A body sent in two halves, the second only when released: a request that stays in flight.</summary>
    private sealed class SlowContent : HttpContent
    {
        private readonly byte[] _body;
        private readonly TaskCompletionSource _firstHalfSent;
        private readonly Task _release;

        public SlowContent(byte[] body, TaskCompletionSource firstHalfSent, Task release)
        {
            _body = body;
            _firstHalfSent = firstHalfSent;
            _release = release;
            Headers.ContentType = new("application/json");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var half = _body.Length / 2;
            await stream.WriteAsync(_body.AsMemory(0, half));
            await stream.FlushAsync();
            _firstHalfSent.TrySetResult();
            await _release;
            await stream.WriteAsync(_body.AsMemory(half));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = _body.Length;
            return true;
        }
    }
}
