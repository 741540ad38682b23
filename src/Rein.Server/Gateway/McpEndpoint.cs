using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Gateway;

/// <summary>One agent's MCP session: its transport, the SDK's server on it, and when it was last used.</summary>
internal sealed class McpGatewaySession(GatewayAgent agent, StreamableHttpServerTransport transport, DateTimeOffset opened) : IAsyncDisposable
{
    public GatewayAgent Agent { get; } = agent;

    public StreamableHttpServerTransport Transport { get; } = transport;

    public McpServer? Server { get; set; }

    public Task? Running { get; set; }

    public DateTimeOffset Opened { get; } = opened;

    public DateTimeOffset LastUsed { get; set; } = opened;

    /// <summary>GET streams open on the session: a client listening is not idle.</summary>
    public int Streams;

    public async ValueTask DisposeAsync()
    {
        await Transport.DisposeAsync();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

/// <summary>
/// The agent-facing MCP endpoint, <c>/mcp</c>, Streamable HTTP with sessions: an <c>initialize</c> opens a session bound
/// to the agent key that sent it; later requests carry <c>Mcp-Session-Id</c> and must come with the same key. Sessions
/// are bounded in number, shared fairly between projects and their keys (<see cref="FairShare"/>), and closed when idle.
/// </summary>
internal sealed class McpSessions(GatewayCalls calls, DecisionSpans spans, GatewayOptions options, TimeProvider time, ILoggerFactory loggers)
    : BackgroundService
{
    public const string SessionHeader = "Mcp-Session-Id";

    private readonly ConcurrentDictionary<string, McpGatewaySession> _sessions = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger<McpSessions>();

    private readonly FairShare _share = new(new ShareLimits(
        "MCP sessions",
        options.MaxSessions,
        "Gateway:MaxSessions",
        options.MaxSessionsPerProject,
        "Gateway:MaxSessionsPerProject",
        options.MaxSessionsPerKey,
        "Gateway:MaxSessionsPerKey"));

    public int Count => _sessions.Count;

    /// <summary>A new session for the caller, or why not: over the key's or project's share, or the server full.
    /// Idle sessions are reclaimed first.</summary>
    public async Task<(McpGatewaySession? Session, ShareRefusal? Refused)> OpenAsync(Caller caller, string separator)
    {
        if (_share.TryAcquire(caller.ProjectId, caller.KeyId) is not null)
        {
            await SweepAsync();
            if (_share.TryAcquire(caller.ProjectId, caller.KeyId) is { } refused)
            {
                Log.GatewaySessionRefused(_logger, caller.KeyId, caller.ProjectId, refused.Bound);
                return (null, refused);
            }
        }

        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var opened = time.GetUtcNow();
        var agent = new GatewayAgent(caller, caller.KeyName, id, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)), separator)
        {
            Opened = opened,
        };
        var transport = new StreamableHttpServerTransport(loggers) { SessionId = id };
        var session = new McpGatewaySession(agent, transport, opened);
        var server = McpServer.Create(transport, ServerOptions(agent), loggers, null);
        session.Server = server;
        _sessions[id] = session;
        session.Running = Task.Run(() => server.RunAsync(CancellationToken.None));
        Log.GatewaySessionOpened(_logger, id, agent.Agent, caller.ProjectId);
        return (session, null);
    }

    public McpGatewaySession? Find(string id)
    {
        if (_sessions.TryGetValue(id, out var session))
        {
            session.LastUsed = time.GetUtcNow();
            return session;
        }

        return null;
    }

    public void Touch(McpGatewaySession session) => session.LastUsed = time.GetUtcNow();

    public async Task CloseAsync(string id, string why)
    {
        if (_sessions.TryRemove(id, out var session))
        {
            _share.Release(session.Agent.Caller.ProjectId, session.Agent.Caller.KeyId);
            if (session.Agent.RunStarted)
            {
                spans.Enqueue(session.Agent.Caller, GatewayCalls.SessionEndSpan(session.Agent, time.GetUtcNow(), why));
            }

            await session.DisposeAsync();
            Log.GatewaySessionClosed(_logger, id, why);
        }
    }

    private McpServerOptions ServerOptions(GatewayAgent agent) => new()
    {
        ServerInfo = new Implementation { Name = "rein", Version = ServerInfo.Version },
        ServerInstructions = "Tools offered through Rein's gateway. Every call is checked by policy and may need a person's confirmation or approval.",
        Capabilities = new ServerCapabilities { Tools = new ToolsCapability { ListChanged = false } },
        Handlers = new McpServerHandlers
        {
            ListToolsHandler = async (request, cancellationToken) =>
            {
                var offered = await calls.ListAsync(agent, cancellationToken);
                return new ListToolsResult
                {
                    Tools = [.. offered.Select(o => new Tool
                    {
                        Name = o.Name,
                        Title = o.Definition.Title,
                        Description = o.Definition.Description,
                        InputSchema = o.Definition.InputSchema,
                        Annotations = o.Definition.Annotations,
                    })],
                };
            },
            CallToolHandler = (request, cancellationToken) =>
                new ValueTask<CallToolResult>(calls.CallAsync(agent, request.Server, request.Params ?? new CallToolRequestParams { Name = "" }, cancellationToken)),
        },
    };

    /// <summary>Closes the sessions idle for <see cref="GatewayOptions.SessionIdleTimeout"/> and those whose server
    /// ended.</summary>
    internal async Task SweepAsync()
    {
        var cutoff = time.GetUtcNow() - options.SessionIdleTimeout;
        foreach (var (id, session) in _sessions)
        {
            if ((session.LastUsed < cutoff && Volatile.Read(ref session.Streams) == 0) || session.Running is { IsCompleted: true })
            {
                await CloseAsync(id, session.Running is { IsCompleted: true } ? "ended" : "idle");
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.SweepInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(interval, time, stoppingToken);
                await SweepAsync();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        foreach (var id in _sessions.Keys)
        {
            await CloseAsync(id, "server stopping");
        }
    }
}

internal static class McpEndpoint
{
    public static IEndpointRouteBuilder MapMcpEndpoint(this IEndpointRouteBuilder app)
    {
        var mcp = app.MapGroup("/mcp").RequireAuthorization(Permissions.Act).ExcludeFromDescription();
        mcp.MapPost("", PostAsync);
        mcp.MapGet("", GetAsync);
        mcp.MapDelete("", DeleteAsync);
        return app;
    }

    private static async Task PostAsync(HttpContext http, McpSessions sessions, GatewayOptions options)
    {
        var accept = http.Request.Headers.Accept.ToString();
        if (!accept.Contains("application/json", StringComparison.OrdinalIgnoreCase) || !accept.Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(http, StatusCodes.Status406NotAcceptable, McpErrorCode.InvalidRequest, "an MCP client must accept both application/json and text/event-stream (Streamable HTTP)");
            return;
        }

        if (http.Request.ContentType is not { } type || !type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(http, StatusCodes.Status415UnsupportedMediaType, McpErrorCode.InvalidRequest, "the body must be a JSON-RPC message sent as application/json");
            return;
        }

        if (http.Request.ContentLength > options.MaxRequestBytes)
        {
            await ErrorAsync(http, StatusCodes.Status413PayloadTooLarge, McpErrorCode.InvalidRequest, $"a message may be at most {options.MaxRequestBytes} bytes (Gateway:MaxRequestBytes)");
            return;
        }

        // The limit holds for a chunked body too, which has no length up front.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = options.MaxRequestBytes;
        }

        JsonRpcMessage? message;
        try
        {
            using var document = await JsonDocument.ParseAsync(http.Request.Body, default, http.RequestAborted);
            if (JsonText.Find(document.RootElement, "") is { } notUnicode)
            {
                await ErrorAsync(http, StatusCodes.Status400BadRequest, McpErrorCode.InvalidParams, $"{notUnicode.Path}: {notUnicode.Problem}", IdOf(document.RootElement));
                return;
            }

            message = document.RootElement.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(JsonRpcMessage))) as JsonRpcMessage;
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await ErrorAsync(http, StatusCodes.Status413PayloadTooLarge, McpErrorCode.InvalidRequest, $"a message may be at most {options.MaxRequestBytes} bytes (Gateway:MaxRequestBytes)");
            return;
        }
        catch (JsonException e)
        {
            await ErrorAsync(http, StatusCodes.Status400BadRequest, McpErrorCode.ParseError, $"the body is not a JSON-RPC message: {e.Message}");
            return;
        }

        if (message is null)
        {
            await ErrorAsync(http, StatusCodes.Status400BadRequest, McpErrorCode.InvalidRequest, "the body is not a JSON-RPC message");
            return;
        }

        var id = message is JsonRpcRequest request ? request.Id : default;
        var caller = http.Caller();
        McpGatewaySession? session;
        var sessionId = http.Request.Headers[McpSessions.SessionHeader].ToString();
        if (sessionId.Length == 0)
        {
            if (message is not JsonRpcRequest { Method: RequestMethods.Initialize })
            {
                // Also what a client probing for a newer, sessionless protocol gets: it then falls back to initialize.
                await ErrorAsync(http, StatusCodes.Status400BadRequest, McpErrorCode.InvalidRequest,
                    $"start with initialize: this endpoint keeps MCP sessions ({McpSessions.SessionHeader}); '{(message as JsonRpcRequest)?.Method ?? "a notification"}' needs one", id);
                return;
            }

            var separator = http.Request.Query["tool_names"].ToString() switch
            {
                "" or "dot" => Core.Gateway.ToolNames.Dot,
                "underscore" => Core.Gateway.ToolNames.DoubleUnderscore,
                var other => null,
            };
            if (separator is null)
            {
                await ErrorAsync(http, StatusCodes.Status400BadRequest, McpErrorCode.InvalidRequest, "tool_names must be dot (server.tool) or underscore (server__tool)", id);
                return;
            }

            (session, var refused) = await sessions.OpenAsync(caller, separator);
            if (session is null)
            {
                // Idle sessions are looked for every SweepInterval: the earliest a freed session can be had.
                http.Response.Headers.RetryAfter = ((int)Math.Ceiling(options.SweepInterval.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await ErrorAsync(
                    http,
                    refused!.OverShare ? StatusCodes.Status429TooManyRequests : StatusCodes.Status503ServiceUnavailable,
                    McpErrorCode.InternalError,
                    $"no new MCP session: {refused.Message}; end sessions you no longer use (DELETE /mcp) or try again after idle ones are closed (Gateway:SessionIdleTimeout)",
                    id);
                return;
            }
        }
        else if ((session = await FindAsync(http, sessions, caller, sessionId, id)) is null)
        {
            return;
        }

        http.Response.Headers[McpSessions.SessionHeader] = session.Agent.SessionId;
        StartEventStream(http);
        var wrote = await session.Transport.HandlePostRequestAsync(message, http.Response.Body, http.RequestAborted);
        if (!wrote)
        {
            http.Response.Headers.ContentType = (string?)null;
            http.Response.StatusCode = StatusCodes.Status202Accepted;
        }
    }

    private static async Task GetAsync(HttpContext http, McpSessions sessions, IHostApplicationLifetime lifetime)
    {
        if (!http.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            await ErrorAsync(http, StatusCodes.Status406NotAcceptable, McpErrorCode.InvalidRequest, "the GET stream is text/event-stream; accept it");
            return;
        }

        var sessionId = http.Request.Headers[McpSessions.SessionHeader].ToString();
        if (sessionId.Length == 0)
        {
            await ErrorAsync(http, StatusCodes.Status400BadRequest, McpErrorCode.InvalidRequest, $"the GET stream belongs to a session: send {McpSessions.SessionHeader}");
            return;
        }

        if (await FindAsync(http, sessions, http.Caller(), sessionId, default) is not { } session)
        {
            return;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
        http.Response.Headers[McpSessions.SessionHeader] = sessionId;
        StartEventStream(http);
        Interlocked.Increment(ref session.Streams);
        try
        {
            await session.Transport.HandleGetRequestAsync(http.Response.Body, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            // The idle time counts from when the client stopped listening.
            Interlocked.Decrement(ref session.Streams);
            sessions.Touch(session);
        }
    }

    private static async Task DeleteAsync(HttpContext http, McpSessions sessions)
    {
        var sessionId = http.Request.Headers[McpSessions.SessionHeader].ToString();
        if (sessionId.Length == 0)
        {
            await ErrorAsync(http, StatusCodes.Status400BadRequest, McpErrorCode.InvalidRequest, $"name the session to end in {McpSessions.SessionHeader}");
            return;
        }

        if (await FindAsync(http, sessions, http.Caller(), sessionId, default) is not null)
        {
            await sessions.CloseAsync(sessionId, "ended by the client");
            http.Response.StatusCode = StatusCodes.Status204NoContent;
        }
    }

    private static async Task<McpGatewaySession?> FindAsync(HttpContext http, McpSessions sessions, Caller caller, string sessionId, RequestId id)
    {
        var session = sessionId.Length <= 64 ? sessions.Find(sessionId) : null;
        if (session is null)
        {
            await ErrorAsync(http, StatusCodes.Status404NotFound, McpErrorCode.InvalidRequest, "no such session (it ended or was closed when idle); start a new one with initialize", id);
            return null;
        }

        if (session.Agent.Caller.KeyId != caller.KeyId)
        {
            await ErrorAsync(http, StatusCodes.Status403Forbidden, McpErrorCode.InvalidRequest, "this session belongs to another key", id);
            return null;
        }

        return session;
    }

    private static void StartEventStream(HttpContext http)
    {
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache,no-store";
        http.Response.Headers.ContentEncoding = "identity";
        http.Response.Headers["X-Accel-Buffering"] = "no";
    }

    /// <summary>The id of a message that is refused before it is read as JSON-RPC, when it has a usable one.</summary>
    private static RequestId IdOf(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("id", out var id) || JsonText.Find(id, "id") is not null)
        {
            return default;
        }

        try
        {
            return id.Deserialize(McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(RequestId))) as RequestId? ?? default;
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static async Task ErrorAsync(HttpContext http, int status, McpErrorCode code, string message, RequestId id = default)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        var error = new JsonObject
        {
            ["jsonrpc"] = "2.0",
            ["id"] = id.Id is null ? null : JsonSerializer.SerializeToNode(id, McpJsonUtilities.DefaultOptions),
            ["error"] = new JsonObject { ["code"] = (int)code, ["message"] = message },
        };
        await http.Response.WriteAsync(error.ToJsonString(), http.RequestAborted);
    }
}
