using System.CommandLine;
using System.Globalization;
using Rein.Cli.Runs;

namespace Rein.Cli.Policies;

/// <summary><c>rein policy activate|rollback|deactivate|backtest</c>: which version decides, and what a candidate would
/// change. Activation, rollback and deactivation need an admin key, are audited, and take effect on the next decision.</summary>
public static class PolicyActivationCommands
{
    /// <summary>Examples of changed decisions printed by backtest; <c>--output json</c> has all the server sent.</summary>
    private const int MaxExamplesShown = 20;

    public static Command Activate(GlobalOptions globals)
    {
        var name = PolicyCommand.NameArgument();
        var version = PolicyCommand.VersionArgument("version", "The version to activate");
        var command = new Command("activate", "Make a version the active one: it decides from the next gate call on every server.") { name, version };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var active = await context.Client.Policies.ActivateAsync(context.Parse.GetValue(name)!, context.Parse.GetValue(version), cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(active);
            }
            else
            {
                output.Line($"Activated {PolicyText.VersionLine(active)}.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Rollback(GlobalOptions globals)
    {
        var name = PolicyCommand.NameArgument();
        var command = new Command("rollback", "Make the version that was active before the current activation active again.") { name };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var active = await context.Client.Policies.RollbackAsync(context.Parse.GetValue(name)!, cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(active);
            }
            else
            {
                output.Line($"Rolled back to {PolicyText.VersionLine(active)}.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Deactivate(GlobalOptions globals)
    {
        var name = PolicyCommand.NameArgument();
        var command = new Command("deactivate", "Leave a policy with no active version: it decides nothing until a version is activated.") { name };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var policy = context.Parse.GetValue(name)!;
            await context.Client.Policies.DeactivateAsync(policy, cancellationToken);
            if (context.Output.IsJson)
            {
                context.Output.Json(new { name = policy, activeVersion = (int?)null });
            }
            else
            {
                context.Output.Line($"Deactivated {PolicyText.Clean(policy)}: it decides nothing until a version is activated.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Backtest(GlobalOptions globals)
    {
        var name = PolicyCommand.NameArgument();
        var version = WholeNumbers.OptionalOption("--version", "The candidate version", "a version");
        version.Required = true;
        var since = new Option<DateTimeOffset?>("--since")
        {
            Description = $"Replay decisions made since then: {TimeArguments.PointHelp} [default: the server's]",
            HelpName = "when",
            CustomParser = result =>
            {
                if (TimeArguments.TryParsePoint(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, DateTimeOffset.UtcNow, out var at, out var error))
                {
                    return at;
                }

                result.AddError("--since: " + error);
                return null;
            },
        };
        var command = new Command(
            "backtest",
            "Replay recorded gate requests against a candidate version: how many decisions would change, by effect, rule and tool, with examples.")
        {
            name,
            version,
            since,
        };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var result = await context.Client.Policies.BacktestAsync(context.Parse.GetValue(name)!, context.Parse.GetValue(version)!.Value, context.Parse.GetValue(since), cancellationToken: cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(result);
                return ExitCodes.Ok;
            }

            output.Line($"Backtest of {PolicyText.Clean(result.Name)} version {result.Version.ToString(CultureInfo.InvariantCulture)}: " +
                $"{CliOutput.Plural(result.Considered, "recorded decision")} since {CliOutput.Time(result.Since)} replayed, " +
                $"{result.Changed.ToString(CultureInfo.InvariantCulture)} would change.");
            if (result.Errors > 0)
            {
                output.Line($"{CliOutput.Plural(result.Errors, "replay")} hit an evaluation error (decided deny, fail closed).");
            }

            if (result.Redemptions > 0)
            {
                output.Line($"{CliOutput.Plural(result.Redemptions, "call")} with an approval token replayed with their token: approved calls stay allowed unless this version denies them.");
            }

            if (result.Truncated)
            {
                output.Note("More decisions were recorded in that time than the server replays at once; --since closer to now covers them all.");
            }
            if (result.Changed == 0)
            {
                return ExitCodes.Ok;
            }

            var changes = CliOutput.NewTable("change", "decisions");
            foreach (var change in result.ByChange.OrderByDescending(c => c.Count))
            {
                CliOutput.AddRow(changes, $"{change.From} -> {change.To}", change.Count.ToString(CultureInfo.InvariantCulture));
            }

            var rules = CliOutput.NewTable("rule", "decisions");
            foreach (var rule in result.ByRule.OrderByDescending(c => c.Count))
            {
                CliOutput.AddRow(rules, PolicyText.Clean(rule.Rule, 80), rule.Count.ToString(CultureInfo.InvariantCulture));
            }

            var tools = CliOutput.NewTable("tool", "decisions");
            foreach (var tool in result.ByTool.OrderByDescending(c => c.Count))
            {
                CliOutput.AddRow(tools, PolicyText.Clean(tool.Tool, 80), tool.Count.ToString(CultureInfo.InvariantCulture));
            }

            var examples = CliOutput.NewTable("decision", "at", "agent", "tool", "before", "after", "rule");
            foreach (var example in result.Examples.Take(MaxExamplesShown))
            {
                CliOutput.AddRow(examples, example.DecisionId, CliOutput.Time(example.At), PolicyText.Clean(example.Agent, 40), PolicyText.Clean(example.Tool, 60), example.Before, example.After, PolicyText.Clean(example.Rule, 60));
            }

            foreach (var table in new[] { changes, rules, tools, examples })
            {
                output.Line("");
                output.Write(table);
            }

            return ExitCodes.Ok;
        });
        return command;
    }
}
