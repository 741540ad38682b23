using System.Diagnostics;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Rein.Testing;

/// <summary>
/// A real <c>rein serve</c> process on a free loopback port with its own data folder, ready (its /readyz answered
/// 200) when <see cref="StartAsync"/> returns. Output is collected for assertions and for failure messages.
/// </summary>
public sealed partial class ReinServerProcess : IAsyncDisposable
{
    public const int SIGINT = 2;
    public const int SIGTERM = 15;

    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private readonly TempDirectory? _ownedDirectory;

    private ReinServerProcess(Process process, Uri url, string workingDirectory, string dataDir, TempDirectory? ownedDirectory)
    {
        _process = process;
        Url = url;
        WorkingDirectory = workingDirectory;
        DataDir = dataDir;
        _ownedDirectory = ownedDirectory;
        process.OutputDataReceived += (_, e) => Append(_stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(_stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public Uri Url { get; }

    public string WorkingDirectory { get; }

    public string DataDir { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public string StdOut
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public string StdErr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    /// <summary>The admin key written on first start.</summary>
    public string AdminKey => File.ReadAllText(Path.Combine(DataDir, "admin.key")).Trim();

    /// <summary>An HttpClient for this server, with the admin key unless another is given (empty string for none).</summary>
    public HttpClient CreateClient(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = Url, Timeout = TimeSpan.FromSeconds(30) };
        var key = apiKey ?? AdminKey;
        if (key.Length > 0)
        {
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    /// <summary>Starts <c>rein serve</c>. Without a working directory, a temp folder is made (and removed on dispose) and
    /// the data folder is its <c>.rein</c>.</summary>
    public static async Task<ReinServerProcess> StartAsync(
        string? workingDirectory = null,
        IEnumerable<string>? extraArgs = null,
        IReadOnlyDictionary<string, string?>? environment = null,
        TimeSpan? readyTimeout = null)
    {
        var owned = workingDirectory is null ? new TempDirectory("rein-serve") : null;
        var cwd = workingDirectory ?? owned!.Path;
        var port = Network.FreePort();
        var url = new Uri($"http://127.0.0.1:{port}/");
        var extra = extraArgs?.ToList() ?? [];
        List<string> args = ["serve", "--urls", $"http://127.0.0.1:{port}"];
        args.AddRange(extra);
        var dataDirIndex = extra.IndexOf("--data-dir");
        var dataDir = Path.GetFullPath(dataDirIndex >= 0 ? extra[dataDirIndex + 1] : ".rein", cwd);

        var process = Process.Start(ReinBinary.StartInfo(args, cwd, environment))!;
        var server = new ReinServerProcess(process, url, cwd, dataDir, owned);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + (readyTimeout ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                await process.WaitForExitAsync();
                var output = $"rein serve exited with {process.ExitCode} before it was ready.\n{server.StdOut}\n{server.StdErr}";
                await server.DisposeAsync();
                throw new InvalidOperationException(output);
            }

            try
            {
                using var response = await http.GetAsync(new Uri(url, "/readyz"));
                if (response.IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        var timedOut = $"rein serve was not ready in time.\n{server.StdOut}\n{server.StdErr}";
        await server.DisposeAsync();
        throw new TimeoutException(timedOut);
    }

    /// <summary>Waits until the server has written a line containing the text (console logging is asynchronous) and
    /// returns that line; fails after a generous bound, never waits longer than needed.</summary>
    public async Task<string> WaitForOutputAsync(string text, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var line = StdOut.Split('\n').FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
            if (line is not null)
            {
                return line;
            }

            Assert.True(DateTime.UtcNow < deadline, $"rein serve never wrote '{text}':\n{StdOut}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Creates a key through the API (not through whatever is under test) with the admin key or the given
    /// one; returns the key's id and full value.</summary>
    public async Task<(string Id, string Value)> CreateKeyAsync(string name, string role, string? apiKey = null)
    {
        using var http = CreateClient(apiKey);
        using var response = await http.PostAsJsonAsync("/api/v1/keys", new { name, role }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"creating key '{name}' answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("key").GetProperty("id").GetString()!, json.RootElement.GetProperty("apiKey").GetString()!);
    }

    /// <summary>Creates a project through the API with the admin key; returns its first admin key's id and value.</summary>
    public async Task<(string KeyId, string ApiKey)> CreateProjectAsync(string id)
    {
        using var http = CreateClient();
        using var response = await http.PostAsJsonAsync("/api/v1/projects", new { id }, TestContext.Current.CancellationToken);
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == System.Net.HttpStatusCode.Created, $"creating project '{id}' answered {(int)response.StatusCode}: {body}");
        using var json = JsonDocument.Parse(body);
        return (json.RootElement.GetProperty("key").GetProperty("id").GetString()!, json.RootElement.GetProperty("apiKey").GetString()!);
    }

    /// <summary>Sends a POSIX signal (SIGTERM, SIGINT) to the server process.</summary>
    public void Signal(int signal)
    {
        if (kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed with errno {Marshal.GetLastPInvokeError()}.");
        }
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            try
            {
                Signal(SIGTERM);
                await WaitForExitAsync(TimeSpan.FromSeconds(15));
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
        _ownedDirectory?.Dispose();
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.AppendLine(line);
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
