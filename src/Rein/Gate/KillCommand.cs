using System.CommandLine;
using Rein.Cli.Policies;
using Rein.Client;

namespace Rein.Cli.Gate;

/// <summary><c>rein kill tool|agent|release|list</c> and <c>rein unkill tool|agent|release</c>: stop a tool, an agent or a
/// release at the gate, before any policy, from the next decision on every server (admin key; audited).</summary>
public static class KillCommand
{
    public static Command Kill(GlobalOptions globals)
    {
        var kill = new Command("kill", "Stop a tool, an agent or a release at once: the gate denies it before reading any policy (admin key).");
        kill.Subcommands.Add(KillOne(globals, KillSwitchScopes.Tool, "name", "Deny every call of a tool (of one agent with --agent)."));
        kill.Subcommands.Add(KillOne(globals, KillSwitchScopes.Agent, "agent", "Deny everything an agent does."));
        kill.Subcommands.Add(KillOne(globals, KillSwitchScopes.Release, "release", "Deny everything agents of a release do."));
        kill.Subcommands.Add(List(globals));
        return kill;
    }

    public static Command Unkill(GlobalOptions globals)
    {
        var unkill = new Command("unkill", "Turn a kill switch off: the policies decide again from the next decision (admin key).");
        unkill.Subcommands.Add(UnkillOne(globals, KillSwitchScopes.Tool, "name", "Turn off a tool's kill switch (the one for --agent, if it was set with one)."));
        unkill.Subcommands.Add(UnkillOne(globals, KillSwitchScopes.Agent, "agent", "Turn off an agent's kill switch."));
        unkill.Subcommands.Add(UnkillOne(globals, KillSwitchScopes.Release, "release", "Turn off a release's kill switch."));
        return unkill;
    }

    /// <summary><c>tool payments.refund for every agent</c>, <c>agent support-bot</c>.</summary>
    public static string Describe(string scope, string target, string? agent) => scope == KillSwitchScopes.Tool
        ? $"tool {PolicyText.Clean(target, 200)} for {(string.IsNullOrEmpty(agent) ? "every agent" : "agent " + PolicyText.Clean(agent, 200))}"
        : $"{scope} {PolicyText.Clean(target, 200)}";

    private static Command KillOne(GlobalOptions globals, string scope, string targetName, string description)
    {
        var target = new Argument<string>(targetName) { Description = $"The {scope} to stop" };
        var reason = new Option<string?>("--reason") { Description = "Why, for the list and the audit log" };
        var agent = new Option<string?>("--agent") { Description = "Only for this agent [default: every agent]" };
        var command = new Command(scope, description) { target, reason };
        if (scope == KillSwitchScopes.Tool)
        {
            command.Options.Add(agent);
        }

        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var name = context.Parse.GetValue(target)!;
            var forAgent = scope == KillSwitchScopes.Tool ? context.Parse.GetValue(agent) : null;
            var added = await context.Client.KillSwitches.AddAsync(scope, name, forAgent, context.Parse.GetValue(reason), cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(new { scope, target = name, agent = forAgent, added });
            }
            else
            {
                output.Line(added
                    ? $"Killed {Describe(scope, name, forAgent)}: the gate denies it from the next decision."
                    : $"Already killed: {Describe(scope, name, forAgent)}.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command UnkillOne(GlobalOptions globals, string scope, string targetName, string description)
    {
        var target = new Argument<string>(targetName) { Description = $"The {scope}" };
        var agent = new Option<string?>("--agent") { Description = "The agent the switch was set for [default: the switch for every agent]" };
        var command = new Command(scope, description) { target };
        if (scope == KillSwitchScopes.Tool)
        {
            command.Options.Add(agent);
        }

        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var name = context.Parse.GetValue(target)!;
            var forAgent = scope == KillSwitchScopes.Tool ? context.Parse.GetValue(agent) : null;
            await context.Client.KillSwitches.RemoveAsync(scope, name, forAgent, cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(new { scope, target = name, agent = forAgent, removed = true });
            }
            else
            {
                output.Line($"Unkilled {Describe(scope, name, forAgent)}: the policies decide again from the next decision.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(GlobalOptions globals)
    {
        var command = new Command("list", "List the kill switches that are on: scope, target, agent, reason, when and by whom.");
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var switches = await context.Client.KillSwitches.ListAsync(cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(switches);
                return ExitCodes.Ok;
            }

            if (switches.Count == 0)
            {
                output.Line("No kill switches are on.");
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("scope", "target", "agent", "reason", "since", "by");
            foreach (var on in switches)
            {
                CliOutput.AddRow(
                    table,
                    on.Scope,
                    PolicyText.Clean(on.Target, 80),
                    on.Scope == KillSwitchScopes.Tool && string.IsNullOrEmpty(on.Agent) ? "(every agent)" : PolicyText.Clean(on.Agent, 80),
                    PolicyText.Clean(on.Reason, 80),
                    CliOutput.Time(on.CreatedAt),
                    on.CreatedBy);
            }

            output.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
