using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rein.Cli.Policies;
using Rein.Cli.Runs;
using Rein.Client;

namespace Rein.Cli.Gate;

/// <summary><c>rein decisions list|show</c>: the gate's decision log (viewer, approver or admin key).</summary>
public static class DecisionsCommand
{
    /// <summary>The page size asked of the server.</summary>
    private const int PageSize = 500;

    /// <summary>More than a screen can hold many times over; <c>--output json</c> with filters is the tool for more.</summary>
    private const int MaxListed = 10_000;

    private static readonly JsonSerializerOptions IndentedJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Command Create(GlobalOptions globals)
    {
        var decisions = new Command("decisions", "List and inspect the gate's decisions: which rule of which policy version decided, and on what input.");
        decisions.Subcommands.Add(List(globals));
        decisions.Subcommands.Add(Show(globals));
        return decisions;
    }

    private static Command List(GlobalOptions globals)
    {
        var effect = new Option<string?>("--effect") { Description = "Only decisions with this effect" }
            .AcceptOnlyFromAmong([.. GateEffects.All.Select(e => e.ToName())]);
        var agent = new Option<string?>("--agent") { Description = "Only this agent's decisions" };
        var tool = new Option<string?>("--tool") { Description = "Only decisions about this tool" };
        var rule = new Option<string?>("--rule") { Description = "Only decisions in which this rule matched" };
        var run = new Option<string?>("--run") { Description = "Only decisions of this run", HelpName = "id" };
        var policy = new Option<string?>("--policy") { Description = "Only decisions made by this policy" };
        var since = PointOption("--since", "Only decisions made at or after this");
        var until = PointOption("--until", "Only decisions made before this");
        var limit = WholeNumbers.Option("--limit", $"How many decisions, newest first (at most {MaxListed})", "a number of decisions", 1, MaxListed, 50, "-n");
        var command = new Command("list", "List decisions, newest first: id, time, agent, tool, effect, policy version, deciding rules, latency.")
        {
            effect, agent, tool, rule, run, policy, since, until, limit,
        };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            var query = new DecisionQuery
            {
                Effect = GateEffects.TryParse(parse.GetValue(effect), out var e) ? e : null,
                Agent = parse.GetValue(agent),
                Tool = parse.GetValue(tool),
                Rule = parse.GetValue(rule),
                RunId = parse.GetValue(run),
                Policy = parse.GetValue(policy),
                From = parse.GetValue(since),
                To = parse.GetValue(until),
            };
            var wanted = parse.GetValue(limit);
            var (found, more) = await Pages.CollectAsync(
                (cursor, count) => context.Client.Decisions.ListAsync(query, cursor, count, cancellationToken), wanted, PageSize);

            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(found);
                return ExitCodes.Ok;
            }

            if (found.Count == 0)
            {
                output.Line(query == new DecisionQuery() ? "No decisions yet." : "No decisions match.");
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("id", "at", "agent", "tool", "effect", "policy", "rules", "latency");
            foreach (var decision in found)
            {
                CliOutput.AddRow(
                    table,
                    decision.Id,
                    CliOutput.Time(decision.At),
                    PolicyText.Clean(decision.Agent, 40),
                    PolicyText.Clean(decision.Tool, 60),
                    decision.Effect.ToName(),
                    decision.Policy is { } p ? $"{PolicyText.Clean(p.Name, 60)}@{p.Version.ToString(CultureInfo.InvariantCulture)}" : "-",
                    PolicyText.Clean(string.Join(", ", decision.Reasons.Select(r => r.Rule).Distinct()), 80),
                    GateText.Latency(decision.LatencyUs));
            }

            output.Write(table);
            if (more)
            {
                output.Note($"More decisions match; --limit {Math.Min(MaxListed, wanted * 2)} shows more.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(GlobalOptions globals)
    {
        var id = new Argument<string>("id") { Description = "The decision's id, as 'rein decisions list' or 'rein gate' prints it" };
        var command = new Command("show", "Show one decision: who asked, what, the answer and why, the policy version, the input (after redaction) and the run's state.") { id };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var decision = await context.Client.Decisions.GetAsync(context.Parse.GetValue(id)!.Trim(), cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(decision);
                return ExitCodes.Ok;
            }

            output.Line($"{decision.Effect.ToName()}: {PolicyText.Clean(decision.Tool, 200)} for agent {PolicyText.Clean(decision.Agent, 200)} at {CliOutput.Time(decision.At)}");
            foreach (var line in GateText.Details(decision.Id, decision.Policy, decision.Mode, decision.Reasons, null, decision.Obligations, decision.Shadow))
            {
                output.Line(line);
            }

            Optional(output, "release", decision.Release);
            Optional(output, "run", decision.RunId);
            Optional(output, "session", decision.SessionId);
            Optional(output, "principal", decision.PrincipalId);
            Optional(output, "tool server", decision.Server);
            output.Line($"  {"rules",-11} {(decision.Rules.Count == 0 ? "none matched" : PolicyText.Clean(string.Join(", ", decision.Rules), 500))}");
            output.Line($"  {"latency",-11} {GateText.Latency(decision.LatencyUs)}");
            Optional(output, "trace", decision.TraceId is null ? null : $"{decision.TraceId}{(decision.SpanId is null ? "" : " span " + decision.SpanId)}");
            Json(output, "input (after redaction)", decision.Input);
            Json(output, "run state before the action", decision.RunState);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Optional(CliOutput output, string label, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            output.Line($"  {label,-11} {PolicyText.Clean(value, 200)}");
        }
    }

    private static void Json(CliOutput output, string title, JsonElement value)
    {
        if (value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return;
        }

        output.Line("");
        output.Line(title + ":");
        foreach (var line in JsonSerializer.Serialize(value, IndentedJson).Split('\n'))
        {
            output.Line("  " + PolicyText.CleanLine(line));
        }
    }

    private static Option<DateTimeOffset?> PointOption(string name, string description) => new(name)
    {
        Description = $"{description}: {TimeArguments.PointHelp}",
        HelpName = "when",
        CustomParser = result =>
        {
            if (TimeArguments.TryParsePoint(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, DateTimeOffset.UtcNow, out var at, out var error))
            {
                return at;
            }

            result.AddError($"{name}: {error}");
            return null;
        },
    };
}
