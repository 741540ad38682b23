using System.CommandLine;
using System.Globalization;
using Rein.Client;
using Spectre.Console;

namespace Rein.Cli.Policies;

/// <summary><c>rein policy …</c>: check and test policy files offline; push, list, inspect, diff, activate, roll back and
/// backtest the project's policies on the server (reading needs a viewer, approver or admin key; changing an admin key).</summary>
public static class PolicyCommand
{
    /// <summary>Far above any policy (the server takes at most 256 KiB of source); a bigger file is not a policy and is not
    /// read.</summary>
    public const long MaxPushBytes = 1024 * 1024;

    public static Command Create(GlobalOptions globals)
    {
        var policy = new Command("policy", "Check and test policy files offline; push, inspect, activate and roll back the project's policies.");
        policy.Subcommands.Add(PolicyFileCommands.Check(globals));
        policy.Subcommands.Add(PolicyFileCommands.Test(globals));
        policy.Subcommands.Add(Push(globals));
        policy.Subcommands.Add(List(globals));
        policy.Subcommands.Add(History(globals));
        policy.Subcommands.Add(Show(globals));
        policy.Subcommands.Add(Diff(globals));
        policy.Subcommands.Add(PolicyActivationCommands.Activate(globals));
        policy.Subcommands.Add(PolicyActivationCommands.Rollback(globals));
        policy.Subcommands.Add(PolicyActivationCommands.Deactivate(globals));
        policy.Subcommands.Add(PolicyActivationCommands.Backtest(globals));
        return policy;
    }

    /// <summary>A policy name argument.</summary>
    public static Argument<string> NameArgument() => new("name") { Description = "The policy's name (its 'name:' key)" };

    /// <summary>A version number argument: a whole number from 1.</summary>
    public static Argument<int> VersionArgument(string name, string description) => WholeNumbers.Argument(name, description, "a version");

    private static Command Push(GlobalOptions globals)
    {
        var file = new Argument<string>("file") { Description = "The policy file (YAML)" };
        var activate = new Option<bool>("--activate") { Description = "Make the version active at once" };
        var command = new Command(
            "push",
            "Push a policy file: the server checks it and runs its tests, and stores a new immutable version. " +
            "A refused file prints its problems (file:line:column: message) or failing tests and exits 1.")
        {
            file,
            activate,
        };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var path = context.Parse.GetValue(file)!;
            var source = await ReadSourceAsync(path, cancellationToken);
            var output = context.Output;
            PolicyPushResult pushed;
            try
            {
                pushed = await context.Client.Policies.PushAsync(source, path, context.Parse.GetValue(activate), cancellationToken);
            }
            catch (ReinApiException e) when (PolicyRejection.From(e) is { } rejection)
            {
                PrintRejection(output, rejection);
                throw;
            }

            if (output.IsJson)
            {
                output.Json(pushed.Version);
                return ExitCodes.Ok;
            }

            var version = pushed.Version;
            var number = version.Version.ToString(CultureInfo.InvariantCulture);
            output.Line(pushed.Created ? $"Pushed {PolicyText.VersionLine(version)}." : $"Unchanged: the file is {PolicyText.VersionLine(version)}.");
            output.Line(version.Active
                ? $"Version {number} is active: it decides from the next gate call."
                : $"Not active; 'rein policy activate {version.Name} {number}' makes it active.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command List(GlobalOptions globals)
    {
        var command = new Command("list", "List the project's policies: name, active and latest version, mode, agents, last change.");
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var policies = await context.Client.Policies.ListAsync(cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(policies);
                return ExitCodes.Ok;
            }

            if (policies.Count == 0)
            {
                output.Line("No policies yet; 'rein policy push FILE' adds one.");
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("name", "active", "latest", "mode", "agents", "updated");
            foreach (var policy in policies)
            {
                CliOutput.AddRow(
                    table,
                    PolicyText.Clean(policy.Name, 60),
                    policy.ActiveVersion?.ToString(CultureInfo.InvariantCulture) ?? "-",
                    policy.LatestVersion.ToString(CultureInfo.InvariantCulture),
                    policy.Mode,
                    PolicyText.Clean(string.Join(", ", policy.Agents), 60),
                    CliOutput.Time(policy.UpdatedAt));
            }

            output.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command History(GlobalOptions globals)
    {
        var name = NameArgument();
        var command = new Command("history", "Show a policy's versions (the active one marked *) and every activation, rollback and deactivation.") { name };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var history = await context.Client.Policies.GetAsync(context.Parse.GetValue(name)!, cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(history);
                return ExitCodes.Ok;
            }

            var versions = CliOutput.NewTable("version", "active", "created", "by", "mode", "rules", "tests", "hash");
            foreach (var version in history.Versions.OrderByDescending(v => v.Version))
            {
                CliOutput.AddRow(
                    versions,
                    version.Version.ToString(CultureInfo.InvariantCulture),
                    version.Version == history.ActiveVersion ? "*" : "",
                    CliOutput.Time(version.CreatedAt),
                    version.CreatedBy,
                    version.Mode,
                    version.Rules.ToString(CultureInfo.InvariantCulture),
                    version.TestsPassed.ToString(CultureInfo.InvariantCulture),
                    PolicyText.ShortHash(version.Hash));
            }

            output.Write(versions);
            output.Line("");
            if (history.Activations.Count == 0)
            {
                output.Line("Never activated.");
                return ExitCodes.Ok;
            }

            var activations = CliOutput.NewTable("at", "action", "version", "by");
            foreach (var activation in history.Activations.OrderByDescending(a => a.At))
            {
                CliOutput.AddRow(activations, CliOutput.Time(activation.At), activation.Action, activation.Version?.ToString(CultureInfo.InvariantCulture), activation.Actor);
            }

            output.Write(activations);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(GlobalOptions globals)
    {
        var name = NameArgument();
        var versionOption = WholeNumbers.OptionalOption("--version", "The version [default: the active one, else the latest]", "a version");
        var command = new Command("show", "Show one version of a policy: hash, mode, agents, who pushed it, its tests, and its source.") { name, versionOption };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var policyName = context.Parse.GetValue(name)!;
            var number = context.Parse.GetValue(versionOption);
            if (number is null)
            {
                var history = await context.Client.Policies.GetAsync(policyName, cancellationToken);
                number = history.ActiveVersion ?? history.LatestVersion;
            }

            var version = await context.Client.Policies.GetVersionAsync(policyName, number.Value, cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(version);
                return ExitCodes.Ok;
            }

            output.Line($"{PolicyText.Clean(version.Name)} version {version.Version.ToString(CultureInfo.InvariantCulture)}{(version.Active ? " (active)" : "")}");
            var grid = new Grid().AddColumn(new GridColumn { NoWrap = true, Padding = new Padding(2, 0, 3, 0) }).AddColumn();
            void Row(string label, string value) => grid.AddRow(new Text(label), new Text(value));
            Row("hash", version.Hash);
            Row("mode", version.Mode);
            Row("agents", PolicyText.Clean(string.Join(", ", version.Agents)));
            Row("rules", version.Rules.ToString(CultureInfo.InvariantCulture));
            Row("tests", $"{version.TestsPassed.ToString(CultureInfo.InvariantCulture)} passed");
            Row("pushed", $"{CliOutput.Time(version.CreatedAt)} by {version.CreatedBy ?? "-"}");
            output.Write(grid);
            foreach (var test in version.Tests ?? [])
            {
                output.Line(PolicyText.TestLine(test.Name, test.Passed, test.Line, test.Failure));
            }

            if (version.Source is { } source)
            {
                output.Line("");
                foreach (var line in source.TrimEnd('\n').Split('\n'))
                {
                    output.Line(PolicyText.CleanLine(line));
                }
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Diff(GlobalOptions globals)
    {
        var name = NameArgument();
        var from = VersionArgument("from", "The older version");
        var to = VersionArgument("to", "The newer version");
        var context = WholeNumbers.Option("--context", "Unchanged lines around each change", "a number of lines", 0, PolicyText.MaxContext, PolicyText.DefaultContext, "-U");
        var command = new Command("diff", "Show what changed between two versions as a unified diff: - removed, + added, with old and new line numbers.") { name, from, to, context };
        command.SetApiAction(globals, async (cli, cancellationToken) =>
        {
            var diff = await cli.Client.Policies.DiffAsync(cli.Parse.GetValue(name)!, cli.Parse.GetValue(from), cli.Parse.GetValue(to), cancellationToken);
            var output = cli.Output;
            if (output.IsJson)
            {
                output.Json(diff);
                return ExitCodes.Ok;
            }

            var policy = PolicyText.Clean(diff.Name);
            var lines = PolicyText.UnifiedDiff(
                $"{policy} version {diff.From.ToString(CultureInfo.InvariantCulture)}",
                $"{policy} version {diff.To.ToString(CultureInfo.InvariantCulture)}",
                diff.Lines,
                cli.Parse.GetValue(context));
            if (lines.Count == 0)
            {
                output.Line($"{policy}: versions {diff.From.ToString(CultureInfo.InvariantCulture)} and {diff.To.ToString(CultureInfo.InvariantCulture)} are the same.");
            }

            foreach (var line in lines)
            {
                output.Line(line);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<string> ReadSourceAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            if (new FileInfo(path) is { Exists: true, Length: > MaxPushBytes } info)
            {
                throw new CliException(ExitCodes.Usage, $"{path} is {info.Length} bytes; a policy file is far smaller (the server takes at most 256 KiB)");
            }

            return await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new CliException(ExitCodes.Usage, $"cannot read {path}: {e.Message}");
        }
    }

    private static void PrintRejection(CliOutput output, PolicyRejection rejection)
    {
        if (output.IsJson)
        {
            output.Json(rejection);
            return;
        }

        foreach (var problem in rejection.Problems)
        {
            output.Line(PolicyText.Clean(problem.ToString()));
        }

        foreach (var test in rejection.Tests)
        {
            output.Line(PolicyText.TestLine(test.Name, test.Passed, test.Line, test.Failure));
        }
    }
}
