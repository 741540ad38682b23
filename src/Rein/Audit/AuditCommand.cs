using System.CommandLine;
using Rein.Client;

namespace Rein.Cli.Audit;

/// <summary><c>rein audit list|verify</c>: the project's hash-chained audit log.</summary>
public static class AuditCommand
{
    /// <summary>Entries per request; the server's maximum page.</summary>
    private const int PageSize = 1000;

    public static Command Create(GlobalOptions globals)
    {
        var audit = new Command("audit", "Read and verify the project's audit log (viewer, approver or admin key).");
        audit.Subcommands.Add(List(globals));
        audit.Subcommands.Add(Verify(globals));
        return audit;
    }

    private static Command List(GlobalOptions globals)
    {
        var limit = WholeNumbers.Option("--limit", "How many entries, newest first", "a number of entries", 1, int.MaxValue, 50, "-n");
        var action = new Option<string?>("--action") { Description = "Only entries with this action, such as key.create" };
        var command = new Command("list", "List the newest audit entries.") { limit, action };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var wanted = context.Parse.GetValue(limit);
            var filter = context.Parse.GetValue(action);
            var entries = new List<AuditEntry>();
            long? before = null;
            while (entries.Count < wanted)
            {
                var page = await context.Client.Audit.ListAsync(Math.Min(PageSize, wanted - entries.Count), before, filter, cancellationToken);
                entries.AddRange(page.Items);
                if (page.Next is null || page.Items.Count == 0 || !long.TryParse(page.Next, System.Globalization.CultureInfo.InvariantCulture, out var next))
                {
                    break;
                }

                before = next;
            }

            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(entries);
                return ExitCodes.Ok;
            }

            if (entries.Count == 0)
            {
                output.Line(filter is null ? "The audit log is empty." : $"No audit entries with action {filter}.");
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("seq", "time", "actor", "action", "object");
            foreach (var entry in entries)
            {
                CliOutput.AddRow(table, entry.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), CliOutput.Time(entry.At), entry.Actor, entry.Action, $"{entry.ObjectType} {entry.ObjectId}");
            }

            output.Write(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Verify(GlobalOptions globals)
    {
        var command = new Command("verify", $"Recompute the audit chain's hashes; exits {ExitCodes.AuditBroken} when an entry does not match.");
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var result = await context.Client.Audit.VerifyAsync(cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(result);
            }
            else if (result.Valid)
            {
                output.Line(result.Head is { } head
                    ? $"OK: {CliOutput.Plural(result.Checked, "entry", "entries")} verified; head #{head.Seq} {head.Hash}"
                    : "OK: the audit log is empty.");
            }
            else
            {
                output.Line(result.Problem is { } problem
                    ? $"BROKEN: entry #{problem.Seq}: {problem.Problem} ({CliOutput.Plural(result.Checked, "entry", "entries")} checked)"
                    : $"BROKEN: the server found the chain invalid but named no entry ({CliOutput.Plural(result.Checked, "entry", "entries")} checked)");
            }

            return result.Valid ? ExitCodes.Ok : ExitCodes.AuditBroken;
        });
        return command;
    }
}
