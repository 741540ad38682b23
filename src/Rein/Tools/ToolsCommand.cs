using System.CommandLine;
using System.Globalization;
using Rein.Cli.Policies;
using Rein.Client;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Rein.Cli.Tools;

/// <summary>
/// <c>rein tools servers add|list|remove|apply</c>, <c>rein tools list|diff|pin|settings</c> and
/// <c>rein tools faults list|add|remove|clear</c>: the tool gateway's upstream servers, its catalog and pins, and fault
/// injection. Reading needs a viewer key; changes an admin key.
/// </summary>
public static class ToolsCommand
{
    /// <summary>Largest servers file <c>apply</c> reads.</summary>
    public const long MaxServersFileBytes = 1024 * 1024;

    public static Command Create(GlobalOptions globals)
    {
        var tools = new Command("tools", "The tool gateway: upstream MCP servers, the tools they offer and their pins, fault injection.");
        var servers = new Command("servers", "The upstream MCP servers agents reach through Rein's /mcp endpoint.");
        servers.Subcommands.Add(AddServer(globals));
        servers.Subcommands.Add(ListServers(globals));
        servers.Subcommands.Add(RemoveServer(globals));
        servers.Subcommands.Add(Apply(globals));
        tools.Subcommands.Add(servers);
        tools.Subcommands.Add(List(globals));
        tools.Subcommands.Add(Diff(globals));
        tools.Subcommands.Add(Pin(globals));
        tools.Subcommands.Add(Settings(globals));
        tools.Subcommands.Add(FaultsCommand.Create(globals));
        return tools;
    }

    private static Command AddServer(GlobalOptions globals)
    {
        var name = new Argument<string>("name") { Description = "The server's name: tools are offered as <name>.<tool>" };
        var command = new Argument<string[]>("command") { Description = "A stdio server's command and arguments (after --, such as -- npx -y @modelcontextprotocol/server-everything)", Arity = ArgumentArity.ZeroOrMore };
        var url = new Option<string?>("--url") { Description = "A Streamable HTTP server's endpoint, instead of a command" };
        var env = new Option<string[]>("--env") { Description = "NAME=value for a stdio server's environment; the value is kept secret (${env:NAME} reads Rein's own environment)", AllowMultipleArgumentsPerToken = false };
        var header = new Option<string[]>("--header") { Description = "Name=value for an http server's requests; the value is kept secret" };
        var timeout = new Option<string?>("--timeout") { Description = "How long one request to the server may take [default: 30s]" };
        var disabled = new Option<bool>("--disabled") { Description = "Add it switched off" };
        var add = new Command("add", "Add or replace a server (admin key): a stdio command, or --url for Streamable HTTP.") { name, command, url, env, header, timeout, disabled };
        add.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            var words = parse.GetValue(command) ?? [];
            var spec = new ToolServerSpec(
                Command: words.Length > 0 ? words[0] : null,
                Args: words.Length > 1 ? words[1..] : null,
                Env: Pairs("--env", parse.GetValue(env)),
                Url: parse.GetValue(url),
                Headers: Pairs("--header", parse.GetValue(header)),
                Timeout: parse.GetValue(timeout),
                Enabled: parse.GetValue(disabled) ? false : null);
            var (server, created) = await context.Client.Tools.SetServerAsync(parse.GetValue(name)!, spec, cancellationToken);
            if (context.Output.IsJson)
            {
                context.Output.Json(server);
            }
            else
            {
                context.Output.Line($"{(created ? "Added" : "Replaced")} server {server.Name} ({Target(server)}); its tools are offered as {server.Name}.<tool> once listed.");
            }

            return ExitCodes.Ok;
        });
        return add;
    }

    private static Command ListServers(GlobalOptions globals)
    {
        var list = new Command("list", "List the servers with what this server knows of their health.");
        list.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var servers = await context.Client.Tools.ListServersAsync(cancellationToken);
            if (context.Output.IsJson)
            {
                context.Output.Json(servers);
                return ExitCodes.Ok;
            }

            if (servers.Count == 0)
            {
                context.Output.Line("No tool servers. Add one: rein tools servers add everything -- npx -y @modelcontextprotocol/server-everything");
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("name", "transport", "target", "timeout", "enabled", "health", "circuit", "tools", "last error");
            foreach (var s in servers)
            {
                CliOutput.AddRow(
                    table,
                    s.Server.Name,
                    s.Server.Transport,
                    PolicyText.Clean(Target(s.Server), 60),
                    s.Server.Timeout,
                    s.Server.Enabled ? "yes" : "no",
                    s.Health?.State ?? "unused",
                    s.Health?.Circuit ?? "-",
                    s.Health is null ? "-" : s.Health.Tools.ToString(CultureInfo.InvariantCulture),
                    PolicyText.Clean(s.Health?.LastError, 80));
            }

            context.Output.Write(table);
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command RemoveServer(GlobalOptions globals)
    {
        var name = new Argument<string>("name") { Description = "The server to remove" };
        var remove = new Command("remove", "Remove a server (admin key); its tools and pins stay in the catalog.") { name };
        remove.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var removed = await context.Client.Tools.RemoveServerAsync(context.Parse.GetValue(name)!, cancellationToken);
            if (context.Output.IsJson)
            {
                context.Output.Json(removed);
            }
            else
            {
                context.Output.Line($"Removed server {removed.Name}.");
            }

            return ExitCodes.Ok;
        });
        return remove;
    }

    private static Command Apply(GlobalOptions globals)
    {
        var file = new Argument<string>("file") { Description = "A YAML or JSON file: servers: { <name>: { command, args, env, url, headers, timeout, enabled } }" };
        var prune = new Option<bool>("--prune") { Description = "Also remove the servers the file does not name" };
        var apply = new Command("apply", "Make the project's servers what a file says (admin key): each is added or replaced.") { file, prune };
        apply.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var path = context.Parse.GetValue(file)!;
            var servers = ReadServersFile(path);
            var results = new List<AppliedServer>();
            foreach (var (name, spec) in servers)
            {
                var (server, created) = await context.Client.Tools.SetServerAsync(name, spec, cancellationToken);
                results.Add(new AppliedServer(server.Name, created ? "added" : "replaced"));
            }

            if (context.Parse.GetValue(prune))
            {
                foreach (var existing in await context.Client.Tools.ListServersAsync(cancellationToken))
                {
                    if (!servers.ContainsKey(existing.Server.Name))
                    {
                        await context.Client.Tools.RemoveServerAsync(existing.Server.Name, cancellationToken);
                        results.Add(new AppliedServer(existing.Server.Name, "removed"));
                    }
                }
            }

            if (context.Output.IsJson)
            {
                context.Output.Json(results);
            }
            else
            {
                foreach (var r in results)
                {
                    context.Output.Line($"{r.Change,-9} {r.Name}");
                }

                context.Output.Line($"Applied {path}: {CliOutput.Plural(servers.Count, "server")}.");
            }

            return ExitCodes.Ok;
        });
        return apply;
    }

    private static Command List(GlobalOptions globals)
    {
        var server = new Option<string?>("--upstream") { Description = "Only this upstream server's tools" };
        var refresh = new Option<bool>("--refresh") { Description = "List the servers now (else the catalog shows what agents' listings recorded)" };
        var list = new Command("list", "List the tools in the catalog with their pin state: pinned (offered), changed or pending (withheld).") { server, refresh };
        list.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var listing = await context.Client.Tools.ListAsync(context.Parse.GetValue(server), context.Parse.GetValue(refresh), cancellationToken);
            if (context.Output.IsJson)
            {
                context.Output.Json(listing);
                return listing.Errors.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
            }

            var table = CliOutput.NewTable("tool", "state", "hash", "description");
            foreach (var tool in listing.Items)
            {
                CliOutput.AddRow(table, tool.Name, tool.State, tool.Hash[..Math.Min(tool.Hash.Length, 19)], PolicyText.Clean(tool.Description, 70));
            }

            if (listing.Items.Count > 0)
            {
                context.Output.Write(table);
            }
            else
            {
                context.Output.Line("The catalog is empty: tools appear once a server has been listed (rein tools list --refresh).");
            }

            foreach (var (name, error) in listing.Errors)
            {
                context.Output.Note($"server {name} could not be listed: {PolicyText.Clean(error, 300)}");
            }

            var withheld = listing.Items.Count(t => t.State != "pinned");
            if (withheld > 0)
            {
                context.Output.Note($"{CliOutput.Plural(withheld, "tool")} withheld from agents; review with rein tools diff <tool>, then rein tools pin <server> --tool <tool>.");
            }

            return listing.Errors.Count == 0 ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return list;
    }

    private static Command Diff(GlobalOptions globals)
    {
        var name = new Argument<string>("tool") { Description = "The namespaced tool, such as everything.echo" };
        var diff = new Command("diff", "Show how a tool's definition differs from the pinned one (what you approve when you pin it).") { name };
        diff.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var result = await context.Client.Tools.DiffAsync(context.Parse.GetValue(name)!, cancellationToken);
            if (context.Output.IsJson)
            {
                context.Output.Json(result);
                return ExitCodes.Ok;
            }

            context.Output.Line($"{result.Name}: {result.State}");
            context.Output.Line($"  pinned  {result.PinnedHash ?? "(never pinned)"}");
            context.Output.Line($"  current {result.Hash}");
            foreach (var line in result.Lines)
            {
                context.Output.Line(PolicyText.Clean(line, 4000));
            }

            if (result.State != "pinned")
            {
                var (server, tool) = Split(result.Name);
                context.Output.Note($"To offer this definition: rein tools pin {server} --tool {tool} --hash {result.Hash}");
            }

            return ExitCodes.Ok;
        });
        return diff;
    }

    private static Command Pin(GlobalOptions globals)
    {
        var server = new Argument<string>("server") { Description = "The server whose tools to pin" };
        var tool = new Option<string?>("--tool") { Description = "Only this tool (its name without the server)" };
        var hash = new Option<string?>("--hash") { Description = "Only if the definition is still the one you reviewed (from rein tools diff)" };
        var pin = new Command("pin", "Approve tools' current definitions (admin key): they are offered to agents again; audited.") { server, tool, hash };
        pin.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var pinned = await context.Client.Tools.PinAsync(context.Parse.GetValue(server)!, context.Parse.GetValue(tool), context.Parse.GetValue(hash), cancellationToken);
            if (context.Output.IsJson)
            {
                context.Output.Json(pinned);
            }
            else
            {
                foreach (var t in pinned)
                {
                    context.Output.Line($"pinned {t.Name} at {t.Hash}");
                }
            }

            return ExitCodes.Ok;
        });
        return pin;
    }

    private static Command Settings(GlobalOptions globals)
    {
        var mode = new Option<string?>("--pin-mode") { Description = "tofu: pin tools when first seen; explicit: offer only tools someone pinned" };
        mode.AcceptOnlyFromAmong("tofu", "explicit");
        var settings = new Command("settings", "Show or set the project's gateway settings (setting needs an admin key).") { mode };
        settings.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var value = context.Parse.GetValue(mode);
            var result = value is null
                ? await context.Client.Tools.GetSettingsAsync(cancellationToken)
                : await context.Client.Tools.SetPinModeAsync(value, cancellationToken);
            if (context.Output.IsJson)
            {
                context.Output.Json(result);
            }
            else
            {
                context.Output.Line($"pin mode: {result.PinMode}");
            }

            return ExitCodes.Ok;
        });
        return settings;
    }

    internal static (string Server, string Tool) Split(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? (name[..dot], name[(dot + 1)..]) : (name, "");
    }

    private static string Target(ToolServer server) =>
        server.Transport == "http" ? server.Url ?? "" : string.Join(' ', new[] { server.Command ?? "" }.Concat(server.Args));

    private static Dictionary<string, string>? Pairs(string option, string[]? values)
    {
        if (values is null || values.Length == 0)
        {
            return null;
        }

        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var value in values)
        {
            var equals = value.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new CliException(ExitCodes.Usage, $"{option} '{PolicyText.Clean(value, 40)}' is not NAME=value");
            }

            pairs[value[..equals]] = value[(equals + 1)..];
        }

        return pairs;
    }

    /// <summary>Reads a servers file; a mistake is a usage error naming the file and where.</summary>
    internal static Dictionary<string, ToolServerSpec> ReadServersFile(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new CliException(ExitCodes.Usage, $"{path}: no such file");
        }

        if (info.Length > MaxServersFileBytes)
        {
            throw new CliException(ExitCodes.Usage, $"{path}: {info.Length} bytes; a servers file may be at most {MaxServersFileBytes} bytes");
        }

        ServersFile? parsed;
        try
        {
            parsed = new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build().Deserialize<ServersFile>(File.ReadAllText(path));
        }
        catch (YamlException e)
        {
            throw new CliException(ExitCodes.Usage, $"{path}:{e.Start.Line}:{e.Start.Column}: {(e.InnerException ?? e).Message}");
        }

        if (parsed?.Servers is not { Count: > 0 } servers)
        {
            throw new CliException(ExitCodes.Usage, $"{path}: names no servers; write servers: {{ <name>: {{ command: ..., args: [...] }} }}");
        }

        return servers.ToDictionary(
            p => p.Key,
            p => new ToolServerSpec(p.Value.Transport, p.Value.Command, p.Value.Args, p.Value.Env, p.Value.Url, p.Value.Headers, p.Value.Timeout, p.Value.Enabled),
            StringComparer.Ordinal);
    }

    private sealed record AppliedServer(string Name, string Change);

    private sealed class ServersFile
    {
        public Dictionary<string, ServerEntry>? Servers { get; set; }
    }

    private sealed class ServerEntry
    {
        public string? Transport { get; set; }

        public string? Command { get; set; }

        public List<string>? Args { get; set; }

        public Dictionary<string, string>? Env { get; set; }

        public string? Url { get; set; }

        public Dictionary<string, string>? Headers { get; set; }

        public string? Timeout { get; set; }

        public bool? Enabled { get; set; }
    }
}
