using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Rein.Cli.Approvals;
using Rein.Cli.Audit;
using Rein.Cli.Gate;
using Rein.Cli.Keys;
using Rein.Cli.Policies;
using Rein.Cli.Projects;
using Rein.Cli.Runs;
using Rein.Cli.Serve;
using Rein.Cli.Status;
using Rein.Cli.Tools;

namespace Rein.Cli;

/// <summary>The <c>rein</c> command tree.</summary>
public static class ReinCli
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = Build();
        var parse = root.Parse(args);
        if (parse.Action is ParseErrorAction)
        {
            if (parse.CommandResult.Command is { Action: null, Subcommands.Count: > 0 } && parse.UnmatchedTokens.Count == 0)
            {
                // `rein` or `rein keys` alone: what can follow is the answer, but it is still not a command.
                await root.Parse([.. args, "--help"]).InvokeAsync();
                return ExitCodes.Usage;
            }

            return await ReportUsageErrorsAsync(parse);
        }

        return await parse.InvokeAsync(new InvocationConfiguration
        {
            // `rein serve` drains in-flight requests on SIGINT/SIGTERM itself (for up to ShutdownTimeout);
            // System.CommandLine's own handler would cut that short.
            ProcessTerminationTimeout = null,
        });
    }

    public static RootCommand Build()
    {
        var root = new RootCommand("Rein: the control plane for autonomous AI agents.");
        var globals = new GlobalOptions();
        globals.AddTo(root);
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(StatusCommand.Create(globals));
        root.Subcommands.Add(KeysCommand.Create(globals));
        root.Subcommands.Add(ProjectsCommand.Create(globals));
        root.Subcommands.Add(AuditCommand.Create(globals));
        root.Subcommands.Add(RunsCommand.Create(globals));
        root.Subcommands.Add(PolicyCommand.Create(globals));
        root.Subcommands.Add(KillCommand.Kill(globals));
        root.Subcommands.Add(KillCommand.Unkill(globals));
        root.Subcommands.Add(GateCommand.Create(globals));
        root.Subcommands.Add(DecisionsCommand.Create(globals));
        root.Subcommands.Add(ApprovalsCommand.Create(globals));
        root.Subcommands.Add(ToolsCommand.Create(globals));
        root.Subcommands.Add(McpCommand.Create(globals));
        return root;
    }

    /// <summary>A command line that does not parse is a usage error (exit 2), said in a line per problem.</summary>
    private static async Task<int> ReportUsageErrorsAsync(ParseResult parse)
    {
        foreach (var error in parse.Errors)
        {
            var message = string.Join(' ', error.Message.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            await Console.Error.WriteLineAsync("rein: " + message);
        }

        await Console.Error.WriteLineAsync($"Run '{CommandPath(parse.CommandResult)} --help' for usage.");
        return ExitCodes.Usage;
    }

    private static string CommandPath(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? result = command; result is not null; result = result.Parent)
        {
            if (result is CommandResult { Command: var c } && c is not RootCommand)
            {
                names.Add(c.Name);
            }
        }

        names.Add("rein");
        names.Reverse();
        return string.Join(' ', names);
    }
}
