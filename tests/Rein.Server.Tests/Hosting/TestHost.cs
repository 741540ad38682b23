using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rein.Server.Identity;
using Rein.Testing;

namespace Rein.Server.Tests.Hosting;

/// <summary>The real Rein host, in this process, on a free loopback port, with its own data folder and a log capture.</summary>
public sealed class TestHost : IAsyncDisposable
{
    private readonly TempDirectory? _directory;

    private TestHost(WebApplication app, TempDirectory? directory, LogCapture logs, string dataDir)
    {
        App = app;
        _directory = directory;
        Logs = logs;
        DataDir = dataDir;
        Url = new Uri(app.Urls.First());
    }

    public WebApplication App { get; }

    public Uri Url { get; }

    public string DataDir { get; }

    public LogCapture Logs { get; }

    /// <summary>The admin key of the default project (read from admin.key, as a user would).</summary>
    public string AdminKey => File.ReadAllText(Path.Combine(DataDir, "admin.key")).Trim();

    public static async Task<TestHost> StartAsync(
        string? dataDir = null,
        string? database = null,
        IReadOnlyDictionary<string, string?>? settings = null,
        TimeProvider? time = null)
    {
        var directory = dataDir is null ? new TempDirectory("rein-host") : null;
        var dir = dataDir ?? directory!.Path;
        var overrides = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["DataDir"] = dir,
            ["Database"] = database,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            overrides[key] = value;
        }

        var logs = new LogCapture();
        var app = ReinServer.Build(new ReinServerSettings
        {
            ContentRoot = dir,
            Overrides = overrides,
            ReadEnvironment = false,
            TimeProvider = time,
            ConfigureLogging = logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(logs);
            },
        });
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            directory?.Dispose();
            throw;
        }

        // The console would have shown it; nobody reads it here.
        app.Services.GetRequiredService<FirstRunKey>().Take();
        return new TestHost(app, directory, logs, dir);
    }

    public HttpClient Client(string? apiKey = null)
    {
        var client = new HttpClient { BaseAddress = Url };

        // The server may answer 413 from the headers alone and close the connection; with "Expect: 100-continue"
        // the body is sent only once the server asks for it, so such an answer cannot race a half-sent body.
        client.DefaultRequestHeaders.ExpectContinue = true;
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        return client;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _directory?.Dispose();
    }
}

/// <summary>One captured log entry with the scopes that were active when it was written.</summary>
public sealed record CapturedLog(string Category, LogLevel Level, EventId EventId, string Message, IReadOnlyDictionary<string, object?> Scope, Exception? Exception);

/// <summary>A logger provider that keeps every entry, scopes included, for assertions.</summary>
public sealed class LogCapture : ILoggerProvider, ISupportExternalScope
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();
    private IExternalScopeProvider _scopes = new LoggerExternalScopeProvider();

    public IReadOnlyList<CapturedLog> Entries => [.. _entries];

    public string AllText => string.Join("\n", _entries.Select(e => $"{e.Message} {e.Exception} {string.Join(' ', e.Scope.Values)}"));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => _scopes = scopeProvider;

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => owner._scopes.Push(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var scope = new Dictionary<string, object?>();
            owner._scopes.ForEachScope(
                (s, acc) =>
                {
                    if (s is IEnumerable<KeyValuePair<string, object?>> pairs)
                    {
                        foreach (var (k, v) in pairs)
                        {
                            acc[k] = v;
                        }
                    }
                },
                scope);
            owner._entries.Enqueue(new CapturedLog(category, logLevel, eventId, formatter(state, exception), scope, exception));
        }
    }
}
