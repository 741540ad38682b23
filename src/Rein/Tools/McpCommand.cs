using System.CommandLine;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using Rein.Cli.Policies;
using Rein.Cli.Runs;

namespace Rein.Cli.Tools;

/// <summary>
/// <c>rein mcp stdio --agent NAME</c>: a local bridge for desktop MCP clients that only start servers over stdio. It
/// speaks MCP on its standard input and output and passes tools/list and tools/call to Rein's <c>/mcp</c> endpoint with
/// the agent's key, relaying progress and confirmation requests back; Rein does the governing. Logs go to standard error.
/// </summary>
public static class McpCommand
{
    /// <summary>Long enough for a tool call to finish; a call waiting for a person's approval may need a longer one.</summary>
    internal static readonly TimeSpan DefaultDrain = TimeSpan.FromSeconds(30);

    internal static readonly TimeSpan MaxDrain = TimeSpan.FromMinutes(10);

    public static Command Create(GlobalOptions globals)
    {
        var mcp = new Command("mcp", "Reach Rein's tool gateway from MCP clients.");
        var agent = new Option<string>("--agent") { Description = "The agent this bridge speaks for: the name of the agent key in use", Required = true };
        var drain = TimeArguments.DurationOption(
            "--drain-timeout", "When standard input ends, how long to wait for the replies still being worked on before exiting", DefaultDrain, TimeSpan.FromMilliseconds(1), MaxDrain);
        var stdio = new Command("stdio", "Serve MCP over stdio, forwarding to Rein's /mcp endpoint with an agent key (REIN_API_KEY or --api-key).") { agent, drain };
        stdio.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var name = context.Parse.GetValue(agent)!;
            var caller = await context.Client.WhoAmIAsync(cancellationToken);
            if (!string.Equals(caller.KeyName, name, StringComparison.Ordinal))
            {
                throw new CliException(ExitCodes.Unauthorized, $"the key in use is named '{PolicyText.Clean(caller.KeyName, 80)}', not '{PolicyText.Clean(name, 80)}': Rein names the agent after its key; use that agent's key");
            }

            await BridgeAsync(context.Connection, context.Parse.GetValue(drain) ?? DefaultDrain, cancellationToken);
            return ExitCodes.Ok;
        });
        mcp.Subcommands.Add(stdio);
        return mcp;
    }

    /// <summary>The caller's <c>_meta</c> without what MCP itself puts there (protocol version, client info, progress).</summary>
    private static JsonObject? OwnMeta(JsonObject? meta)
    {
        if (meta is null)
        {
            return null;
        }

        var own = new JsonObject();
        foreach (var (key, value) in meta)
        {
            if (!key.StartsWith("io.modelcontextprotocol/", StringComparison.Ordinal) && key != "progressToken")
            {
                own[key] = value?.DeepClone();
            }
        }

        return own.Count == 0 ? null : own;
    }

    private static async Task BridgeAsync(Connection connection, TimeSpan drainTimeout, CancellationToken cancellationToken)
    {
        McpServer? local = null;
        var options = new McpClientOptions
        {
            ClientInfo = new Implementation { Name = "rein-mcp-stdio", Version = typeof(McpCommand).Assembly.GetName().Version?.ToString() ?? "0" },
            Handlers = new McpClientHandlers
            {
                // Rein asks for a confirmation: ask the desktop client, if it can.
                ElicitationHandler = async (request, ct) =>
                    local?.ClientCapabilities?.Elicitation is not null && request is not null
                        ? await local.ElicitAsync(request, ct)
                        : new ElicitResult { Action = "decline" },
            },
        };
        await using var remote = await McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri(connection.ServerText + "/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = new Dictionary<string, string> { ["Authorization"] = "Bearer " + connection.ApiKey },
            }),
            options,
            NullLoggerFactory.Instance,
            cancellationToken);

        var serverOptions = new McpServerOptions
        {
            ServerInfo = new Implementation { Name = "rein", Version = remote.ServerInfo?.Version ?? "0" },
            ServerInstructions = remote.ServerInstructions,
            Capabilities = new ServerCapabilities { Tools = new ToolsCapability() },
            Handlers = new McpServerHandlers
            {
                ListToolsHandler = async (request, ct) =>
                    new ListToolsResult { Tools = [.. (await remote.ListToolsAsync(cancellationToken: ct)).Select(t => t.ProtocolTool)] },
                CallToolHandler = async (request, ct) =>
                {
                    var call = request.Params ?? new CallToolRequestParams { Name = "" };
                    if (call.ProgressToken is not { } token)
                    {
                        // The call's own _meta (a traceparent) goes along; the protocol's keys belong to this hop.
                        return await remote.CallToolAsync(new CallToolRequestParams { Name = call.Name, Arguments = call.Arguments, Meta = OwnMeta(call.Meta) }, ct);
                    }

                    // Rein's progress (an approval being waited for) goes back under the desktop client's own token.
                    var progress = new Progress<ProgressNotificationValue>(value => _ = request.Server.NotifyProgressAsync(token, value, cancellationToken: CancellationToken.None));
                    return await remote.CallToolAsync(call.Name, call.Arguments?.ToDictionary(p => p.Key, p => (object?)p.Value), progress, cancellationToken: ct);
                },
            },
        };
        using var stdio = new DrainingStdio(Console.OpenStandardInput(), Console.OpenStandardOutput(), drainTimeout, TimeProvider.System);
        await using var transport = new StreamServerTransport(stdio.Input, stdio.Output, "rein", NullLoggerFactory.Instance);
        await using var server = McpServer.Create(transport, serverOptions, NullLoggerFactory.Instance);
        local = server;
        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stdio.Ended);
        try
        {
            await server.RunAsync(run.Token);
        }
        catch (OperationCanceledException) when (stdio.Ended.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
        }
    }
}
