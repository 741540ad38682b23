using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Rein.Core.Gateway;

namespace Rein.Server.Gateway;

/// <summary>An upstream could not be reached or did not answer in time: the agent gets an MCP error naming the tool and
/// this message. It never holds the server's credentials.</summary>
internal sealed class UpstreamException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>An upstream's health as people see it.</summary>
public sealed record UpstreamHealth(
    string Server,
    string State,
    string Circuit,
    DateTimeOffset? ConnectedAt,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    int Restarts,
    int Tools);

/// <summary>
/// One upstream MCP server as this gateway replica sees it: a client connected on first use, kept while it lives and
/// started again when it died (a crashed stdio server is restarted on the next call), a timeout on every request and
/// a circuit breaker that makes calls fail at once while the server keeps failing.
/// </summary>
internal sealed class Upstream : IAsyncDisposable
{
    /// <summary>Variables of the Rein server's own environment a stdio server gets, so it can find programs and a home;
    /// nothing else is inherited (Rein's own settings, such as a database connection string, stay Rein's).</summary>
    private static readonly string[] InheritedVariables = ["PATH", "HOME", "USER", "LANG", "LC_ALL", "TMPDIR", "TMP", "TEMP", "SystemRoot", "ComSpec", "PATHEXT", "APPDATA", "LOCALAPPDATA", "USERPROFILE"];

    private readonly ILoggerFactory _sdkLoggers;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _connect = new(1, 1);
    private McpClient? _client;
    private (IReadOnlyList<Tool> Tools, DateTimeOffset At)? _tools;
    private bool _disposed;

    /// <summary>The failure last logged as a warning; the same failure again is logged at Debug only, until a request
    /// succeeds. Sessions and refreshes that meet a server that is down would otherwise log it once each.</summary>
    private string? _loggedFailure;

    public Upstream(UpstreamSpec spec, GatewayOptions options, TimeProvider time, ILoggerFactory loggers)
    {
        Spec = spec;
        _time = time;
        _sdkLoggers = new DebugLevelLoggerFactory(loggers);
        _logger = loggers.CreateLogger<Upstream>();
        Breaker = new CircuitBreaker(options.BreakerThreshold, options.BreakerCoolDown, time);
    }

    public UpstreamSpec Spec { get; }

    public CircuitBreaker Breaker { get; }

    public DateTimeOffset? ConnectedAt { get; private set; }

    public string? LastError { get; private set; }

    public DateTimeOffset? LastErrorAt { get; private set; }

    public int Restarts { get; private set; }

    public int ToolCount => _tools?.Tools.Count ?? 0;

    public bool Connected => _client is { } c && !c.Completion.IsCompleted;

    /// <summary>The server's tools, read again once <paramref name="ttl"/> has passed.</summary>
    /// <exception cref="UpstreamException">The server could not be reached, failed or timed out.</exception>
    public async Task<IReadOnlyList<Tool>> ToolsAsync(TimeSpan ttl, CancellationToken cancellationToken)
    {
        if (_tools is { } cached && _time.GetUtcNow() - cached.At < ttl && Connected)
        {
            return cached.Tools;
        }

        var tools = await RunAsync("tools/list", async (client, ct) =>
        {
            var listed = await client.ListToolsAsync(cancellationToken: ct);
            return (IReadOnlyList<Tool>)[.. listed.Select(t => t.ProtocolTool)];
        }, cancellationToken);
        _tools = (tools, _time.GetUtcNow());
        return tools;
    }

    /// <summary>Forwards one call. A result the tool marks as an error is a result, not a failure of the server.</summary>
    /// <exception cref="UpstreamException">The server could not be reached, failed or timed out.</exception>
    public Task<CallToolResult> CallAsync(string tool, IReadOnlyDictionary<string, JsonElement>? arguments, IProgress<ProgressNotificationValue>? progress, CancellationToken cancellationToken) =>
        RunAsync("tools/call", (client, ct) => client.CallToolAsync(
            tool, arguments?.ToDictionary(p => p.Key, p => (object?)p.Value), progress, cancellationToken: ct).AsTask(), cancellationToken);

    private async Task<T> RunAsync<T>(string what, Func<McpClient, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        if (!Breaker.TryEnter())
        {
            throw new UpstreamException(
                $"server '{Spec.Name}' is failing (circuit open after {Breaker.FailureThreshold} failures in a row; last: {LastError ?? "unknown"}); the gateway tries it again in {Math.Ceiling(Breaker.RetryAfter.TotalSeconds)}s");
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Spec.Timeout);
        try
        {
            var client = await ClientAsync(timeout.Token);
            var result = await work(client, timeout.Token);
            Breaker.Success();
            _loggedFailure = null;
            return result;
        }
        catch (McpProtocolException e) when (_client is { } c && !c.Completion.IsCompleted)
        {
            // The server answered, with a JSON-RPC error: it is alive, the request was wrong.
            Breaker.Success();
            throw new UpstreamException($"server '{Spec.Name}' answered {what} with an error: {e.Message}", e);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Failed($"{what} timed out after {Policies.Durations.Format(Spec.Timeout)} (the server's timeout)");
        }
        catch (UpstreamException e)
        {
            throw Failed(e.Message);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw Failed($"{what} failed: {Describe(e)}", e);
        }
    }

    private UpstreamException Failed(string error, Exception? inner = null)
    {
        Breaker.Failure();
        LastError = error;
        LastErrorAt = _time.GetUtcNow();
        if (_loggedFailure != error)
        {
            _loggedFailure = error;
            Log.GatewayUpstreamFailed(_logger, Spec.Name, Spec.ProjectId, error);
        }
        else
        {
            Log.GatewayUpstreamStillFailing(_logger, Spec.Name, Spec.ProjectId, error);
        }

        if (inner is not null)
        {
            Log.GatewayUpstreamFailureDetail(_logger, Spec.Name, Spec.ProjectId, inner);
        }

        return new UpstreamException($"server '{Spec.Name}': {error}", inner);
    }

    private async Task<McpClient> ClientAsync(CancellationToken cancellationToken)
    {
        if (_client is { } live && !live.Completion.IsCompleted)
        {
            return live;
        }

        await _connect.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_client is { } current)
            {
                if (!current.Completion.IsCompleted)
                {
                    return current;
                }

                // It died (a stdio server that crashed, an HTTP session that ended): start it again.
                _client = null;
                _tools = null;
                Restarts++;
                await DisposeQuietlyAsync(current);
            }

            if (Spec.Problem is { } problem)
            {
                throw new UpstreamException(problem);
            }

            IClientTransport transport = Spec.Transport == GatewayServerService.Stdio
                ? new StdioClientTransport(
                    new StdioClientTransportOptions
                    {
                        Name = Spec.Name,
                        Command = Spec.Command!,
                        Arguments = [.. Spec.Args],
                        EnvironmentVariables = Environment(),
                        InheritEnvironmentVariables = false,
                        ShutdownTimeout = TimeSpan.FromSeconds(5),
                    },
                    _sdkLoggers)
                : new HttpClientTransport(
                    new HttpClientTransportOptions
                    {
                        Name = Spec.Name,
                        Endpoint = new Uri(Spec.Url!),
                        TransportMode = HttpTransportMode.StreamableHttp,
                        AdditionalHeaders = Spec.Headers.ToDictionary(),
                        ConnectionTimeout = Spec.Timeout,
                    },
                    _sdkLoggers);
            var client = await McpClient.CreateAsync(
                transport,
                new McpClientOptions
                {
                    ClientInfo = new Implementation { Name = "rein-gateway", Version = ServerInfo.Version },
                    InitializationTimeout = Spec.Timeout,
                },
                _sdkLoggers,
                cancellationToken);
            _client = client;
            ConnectedAt = _time.GetUtcNow();
            Log.GatewayUpstreamConnected(_logger, Spec.Name, Spec.ProjectId, Spec.Transport, client.ServerInfo?.Name ?? "?", client.ServerInfo?.Version ?? "?");
            return client;
        }
        finally
        {
            _connect.Release();
        }
    }

    private Dictionary<string, string?> Environment()
    {
        var env = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var name in InheritedVariables)
        {
            if (System.Environment.GetEnvironmentVariable(name) is { } value)
            {
                env[name] = value;
            }
        }

        foreach (var (key, value) in Spec.Env)
        {
            env[key] = value;
        }

        return env;
    }

    private static string Describe(Exception e)
    {
        var message = e.InnerException is { } inner && inner.Message != e.Message ? $"{e.Message} ({inner.Message})" : e.Message;
        return message.Length > 500 ? message[..500] + "…" : message;
    }

    private static async Task DisposeQuietlyAsync(McpClient client)
    {
        try
        {
            await client.DisposeAsync();
        }
#pragma warning disable CA1031 // A client that died may fail to close; that must not stop the restart.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _connect.WaitAsync();
        try
        {
            _disposed = true;
            if (_client is { } client)
            {
                _client = null;
                await DisposeQuietlyAsync(client);
            }
        }
        finally
        {
            _connect.Release();
        }
    }
}

/// <summary>
/// The MCP SDK's own log lines at Debug (Trace stays Trace). The SDK logs a failed connect or request with its
/// exception and stack trace, once per attempt; the gateway logs each upstream failure itself, in one line with the
/// reason, once per change (<see cref="Upstream"/>), and the SDK's detail is there for whoever turns Debug on.
/// </summary>
internal sealed class DebugLevelLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new DebugLevelLogger(inner.CreateLogger(categoryName));

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The factory it wraps belongs to the host.
    public void Dispose()
    {
    }

    private sealed class DebugLevelLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && inner.IsEnabled(Lowered(logLevel));

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var lowered = Lowered(logLevel);
            if (logLevel != LogLevel.None && inner.IsEnabled(lowered))
            {
                inner.Log(lowered, eventId, state, exception, formatter);
            }
        }

        private static LogLevel Lowered(LogLevel level) => level > LogLevel.Debug ? LogLevel.Debug : level;
    }
}

/// <summary>This replica's upstreams, one per project and server, replaced when the server's settings change (seen
/// through its version, so a change made through another replica is picked up on the next use).</summary>
public sealed class UpstreamPool(GatewayOptions options, TimeProvider time, ILoggerFactory loggers) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<(string Project, string Server), Upstream> _upstreams = new();

    internal Upstream Get(UpstreamSpec spec)
    {
        var key = (spec.ProjectId, spec.Name);
        while (true)
        {
            var upstream = _upstreams.GetOrAdd(key, _ => new Upstream(spec, options, time, loggers));
            if (upstream.Spec.Version == spec.Version && upstream.Spec.Problem == spec.Problem)
            {
                return upstream;
            }

            if (_upstreams.TryUpdate(key, new Upstream(spec, options, time, loggers), upstream))
            {
                _ = upstream.DisposeAsync().AsTask();
            }
        }
    }

    /// <summary>Closes the connections of a project's servers that are no longer configured (or disabled).</summary>
    internal void Retain(string projectId, IReadOnlyCollection<string> servers)
    {
        foreach (var (key, upstream) in _upstreams)
        {
            if (key.Project == projectId && !servers.Contains(key.Server) && _upstreams.TryRemove(new KeyValuePair<(string, string), Upstream>(key, upstream)))
            {
                _ = upstream.DisposeAsync().AsTask();
            }
        }
    }

    public UpstreamHealth? Health(string projectId, string server) =>
        _upstreams.TryGetValue((projectId, server), out var u)
            ? new UpstreamHealth(
                server,
                u.Connected ? "connected" : u.LastError is not null ? "failing" : "idle",
                u.Breaker.State.ToString().ToLowerInvariant(),
                u.ConnectedAt,
                u.LastError,
                u.LastErrorAt,
                u.Restarts,
                u.ToolCount)
            : null;

    public async ValueTask DisposeAsync()
    {
        foreach (var upstream in _upstreams.Values)
        {
            await upstream.DisposeAsync();
        }

        _upstreams.Clear();
    }
}
