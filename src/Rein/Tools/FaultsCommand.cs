using System.CommandLine;
using System.Globalization;
using Rein.Cli.Policies;
using Rein.Client;

namespace Rein.Cli.Tools;

/// <summary><c>rein tools faults list|add|remove|clear</c>: fault injection for testing agents. Matching calls fail,
/// slow down, time out or come back corrupted, marked in the trace.</summary>
public static class FaultsCommand
{
    public static Command Create(GlobalOptions globals)
    {
        var faults = new Command("faults", "Inject faults into chosen tools to see how agents cope (changes need an admin key).");
        faults.Subcommands.Add(List(globals));
        faults.Subcommands.Add(Add(globals));
        faults.Subcommands.Add(Remove(globals));
        faults.Subcommands.Add(Clear(globals));
        return faults;
    }

    private static Command List(GlobalOptions globals)
    {
        var list = new Command("list", "List the project's fault rules.");
        list.SetApiAction(globals, async (context, cancellationToken) =>
        {
            Write(context.Output, await context.Client.Tools.GetFaultsAsync(cancellationToken));
            return ExitCodes.Ok;
        });
        return list;
    }

    private static Command Add(GlobalOptions globals)
    {
        var tool = new Argument<string>("tool") { Description = "A glob over namespaced tool names, such as everything.* or crm.search" };
        var kind = new Option<string>("--kind") { Description = "error, delay, timeout or corrupt", Required = true };
        kind.AcceptOnlyFromAmong("error", "delay", "timeout", "corrupt");
        var probability = new Option<double?>("--probability") { Description = "Share of matching calls it hits, 0 to 1 [default: 1]" };
        var delay = new Option<string?>("--delay") { Description = "For delay: how long, such as 2s" };
        var message = new Option<string?>("--message") { Description = "For error: the failure the agent reads" };
        var id = new Option<string?>("--id") { Description = "The rule's id [default: f<n>]" };
        var add = new Command("add", "Add a fault rule; the first enabled rule matching a call applies.") { tool, kind, probability, delay, message, id };
        add.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var existing = await context.Client.Tools.GetFaultsAsync(cancellationToken);
            var p = context.Parse;
            var ruleId = p.GetValue(id) ?? NextId(existing);
            var rule = new FaultRule(ruleId, p.GetValue(tool)!, p.GetValue(kind)!, p.GetValue(probability), p.GetValue(delay), p.GetValue(message), true);
            Write(context.Output, await context.Client.Tools.SetFaultsAsync([.. existing, rule], cancellationToken));
            return ExitCodes.Ok;
        });
        return add;
    }

    private static Command Remove(GlobalOptions globals)
    {
        var id = new Argument<string>("id") { Description = "The rule's id" };
        var remove = new Command("remove", "Remove one fault rule.") { id };
        remove.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var existing = await context.Client.Tools.GetFaultsAsync(cancellationToken);
            var ruleId = context.Parse.GetValue(id)!;
            if (!existing.Any(r => r.Id == ruleId))
            {
                throw new CliException(ExitCodes.Failed, $"no fault rule {PolicyText.Clean(ruleId, 64)} (rein tools faults list)");
            }

            Write(context.Output, await context.Client.Tools.SetFaultsAsync([.. existing.Where(r => r.Id != ruleId)], cancellationToken));
            return ExitCodes.Ok;
        });
        return remove;
    }

    private static Command Clear(GlobalOptions globals)
    {
        var clear = new Command("clear", "Remove every fault rule: calls go through normally again.");
        clear.SetApiAction(globals, async (context, cancellationToken) =>
        {
            Write(context.Output, await context.Client.Tools.SetFaultsAsync([], cancellationToken));
            return ExitCodes.Ok;
        });
        return clear;
    }

    private static string NextId(IReadOnlyList<FaultRule> rules)
    {
        for (var n = rules.Count + 1; ; n++)
        {
            var id = "f" + n.ToString(CultureInfo.InvariantCulture);
            if (!rules.Any(r => r.Id == id))
            {
                return id;
            }
        }
    }

    private static void Write(CliOutput output, IReadOnlyList<FaultRule> rules)
    {
        if (output.IsJson)
        {
            output.Json(rules);
            return;
        }

        if (rules.Count == 0)
        {
            output.Line("No fault rules: calls go through normally.");
            return;
        }

        var table = CliOutput.NewTable("id", "tool", "kind", "probability", "delay", "message", "enabled");
        foreach (var r in rules)
        {
            CliOutput.AddRow(
                table, r.Id, PolicyText.Clean(r.Tool, 80), r.Kind, (r.Probability ?? 1).ToString("0.###", CultureInfo.InvariantCulture), r.Delay ?? "-", PolicyText.Clean(r.Message, 60), r.Enabled == false ? "no" : "yes");
        }

        output.Write(table);
    }
}
