using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Rein.Cli.Gate;
using Rein.Cli.Policies;
using Rein.Cli.Runs;
using Rein.Client;

namespace Rein.Cli.Approvals;

/// <summary><c>rein approvals list|show|approve|reject|wait|export|stats|queues|webhook</c>: what the gate sent to people
/// (reading needs a viewer, approver or admin key; deciding an approver or admin key; queues and webhooks an admin key;
/// <c>wait</c> works with any key of the project, and only an agent key is shown the approval token).</summary>
public static partial class ApprovalsCommand
{
    /// <summary>The server's largest page.</summary>
    private const int PageSize = 500;

    /// <summary>More than a screen can hold many times over; <c>--output json</c> with filters is the tool for more.</summary>
    private const int MaxListed = 10_000;

    /// <summary>A secret is 16 to 256 characters; a file much larger than that is the wrong file.</summary>
    private const int MaxSecretFileBytes = 4096;

    /// <summary><c>--expiry default</c>: back to the policy's <c>approval_expiry</c> or the server's default.</summary>
    public const string DefaultExpiry = "default";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(5);

    /// <summary>No request stays open longer than the longest expiry.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(7);

    public static readonly TimeSpan DefaultWindow = TimeSpan.FromHours(24);

    /// <summary>The server's longest export and stats window.</summary>
    public static readonly TimeSpan MaxWindow = TimeSpan.FromDays(366);

    /// <summary>A queue's expiry, as the server bounds it (and a policy's <c>approval_expiry</c>).</summary>
    public static readonly TimeSpan MinExpiry = TimeSpan.FromMinutes(1);

    public static readonly TimeSpan MaxExpiry = TimeSpan.FromDays(7);

    public static Command Create(GlobalOptions globals)
    {
        var approvals = new Command(
            "approvals",
            "List, inspect, approve, reject and wait for the approval requests the gate opened; export the decisions as labelled data; " +
            "queue expiry and webhooks.");
        approvals.Subcommands.Add(List(globals));
        approvals.Subcommands.Add(Show(globals));
        approvals.Subcommands.Add(Approve(globals));
        approvals.Subcommands.Add(Reject(globals));
        approvals.Subcommands.Add(Wait(globals));
        approvals.Subcommands.Add(Export(globals));
        approvals.Subcommands.Add(Stats(globals));
        approvals.Subcommands.Add(Queues(globals));
        approvals.Subcommands.Add(Webhook(globals));
        return approvals;
    }

    private static Command List(GlobalOptions globals)
    {
        var queue = new Option<string?>("--queue") { Description = "Only requests of this queue" };
        var status = OneOf("--status", "a status", $"Only requests with this status; {ApprovalText.AnyStatus} for every one", ApprovalStatuses.Pending, [.. ApprovalStatuses.All, ApprovalText.AnyStatus]);
        var limit = WholeNumbers.Option("--limit", $"How many requests, in inbox order (at most {MaxListed})", "a number of requests", 1, MaxListed, 50, "-n");
        var command = new Command(
            "list",
            "The inbox: pending requests (others with --status), most severe first, then oldest first: id, severity, queue, status, " +
            "created, expires, agent, tool, the rule's message.")
        {
            queue,
            status,
            limit,
        };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            var wantedStatus = parse.GetValue(status);
            var query = new ApprovalQuery
            {
                Status = wantedStatus == ApprovalText.AnyStatus ? null : wantedStatus,
                Queue = parse.GetValue(queue) is { Length: > 0 } q ? q : null,
            };
            var wanted = parse.GetValue(limit);
            var (found, more) = await Pages.CollectAsync(
                (cursor, count) => context.Client.Approvals.ListAsync(query, cursor, count, cancellationToken), wanted, PageSize);

            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(found);
                return ExitCodes.Ok;
            }

            if (found.Count == 0)
            {
                output.Line(query.Status == ApprovalStatuses.Pending && query.Queue is null ? "No pending approval requests." : "No approval requests match.");
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("id", "severity", "queue", "status", "created", "expires", "agent", "tool", "message");
            foreach (var request in found)
            {
                CliOutput.AddRow(
                    table,
                    request.Id,
                    request.Severity,
                    PolicyText.Clean(request.Queue, 40),
                    ApprovalText.Status(request.Status, request.Outcome),
                    CliOutput.Time(request.CreatedAt),
                    request.Status == ApprovalStatuses.Pending ? CliOutput.Time(request.ExpiresAt) : "-",
                    PolicyText.Clean(request.Agent, 40),
                    PolicyText.Clean(request.Tool, 60),
                    PolicyText.Clean(request.Message ?? request.Rule, 80));
            }

            output.Write(table);
            if (more)
            {
                output.Note($"More requests match; --limit {Math.Min(MaxListed, wanted * 2)} shows more.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(GlobalOptions globals)
    {
        var id = IdArgument();
        var command = new Command(
            "show",
            "Show one request with its evidence: where it waits and why, the policy version, the agent's reason, the arguments (after " +
            "redaction), the context, the run so far, and once decided, by whom and with which note.")
        {
            id,
        };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var approval = await context.Client.Approvals.GetAsync(context.Parse.GetValue(id)!.Trim(), cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(approval);
                return ExitCodes.Ok;
            }

            Print(output, [ApprovalText.Headline(approval), .. ApprovalText.Details(approval), .. ApprovalText.Evidence(approval)]);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Approve(GlobalOptions globals)
    {
        var id = IdArgument();
        var note = NoteOption();
        var args = new Option<JsonObject?>("--args")
        {
            Description = "Approve these arguments instead of the proposed ones (a JSON object such as '{\"amount\": 200}'): the agent may then act only with them",
            HelpName = "json",
            CustomParser = result =>
            {
                if (GateText.TryParseObject(result.Tokens.Count > 0 ? result.Tokens[0].Value : null, out var value, out var error))
                {
                    return value;
                }

                result.AddError($"--args: {error}");
                return null;
            },
        };
        var command = new Command(
            "approve",
            "Approve a pending request, as proposed or with modified arguments (--args). The waiting agent gets a single-use token " +
            "for exactly the approved arguments. Needs an approver key allowed the request's queue, or an admin key.")
        {
            id,
            note,
            args,
        };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            var approval = await context.Client.Approvals.ApproveAsync(parse.GetValue(id)!.Trim(), parse.GetValue(note), parse.GetValue(args), cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(approval);
                return ExitCodes.Ok;
            }

            var how = approval.Outcome == ApprovalOutcomes.Modified ? "with modified arguments" : "as proposed";
            Print(output, [
                $"Approved {approval.Id} {how}: {PolicyText.Clean(approval.Tool, 200)} for agent {PolicyText.Clean(approval.Agent, 200)} (queue {PolicyText.Clean(approval.Queue, 130)}).",
                .. ApprovalText.ApprovedArguments(approval),
            ]);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Reject(GlobalOptions globals)
    {
        var id = IdArgument();
        var note = NoteOption();
        var command = new Command("reject", "Reject a pending request: the waiting agent is told, and does not act. Needs an approver key allowed the request's queue, or an admin key.")
        {
            id,
            note,
        };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var parse = context.Parse;
            var approval = await context.Client.Approvals.RejectAsync(parse.GetValue(id)!.Trim(), parse.GetValue(note), cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(approval);
            }
            else
            {
                output.Line($"Rejected {approval.Id}: {PolicyText.Clean(approval.Tool, 200)} for agent {PolicyText.Clean(approval.Agent, 200)} (queue {PolicyText.Clean(approval.Queue, 130)}).");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Wait(GlobalOptions globals)
    {
        var id = IdArgument();
        var timeout = TimeArguments.DurationOption("--timeout", "How long to wait for a decision", DefaultTimeout, TimeSpan.FromSeconds(1), MaxTimeout);
        var command = new Command(
            "wait",
            "Wait until a request is decided or expires, or until --timeout, and print it. With an agent key, an approval shows its " +
            "single-use token (for 'rein gate --approval-token'). Exits 0 approved, 3 rejected or expired, 4 still pending, 1 when " +
            "there is no answer.")
        {
            id,
            timeout,
        };
        command.SetApiAction(
            globals,
            async (context, cancellationToken) =>
            {
                var wait = context.Parse.ValueOr(timeout, DefaultTimeout);
                var approval = await context.Client.Approvals.WaitAsync(context.Parse.GetValue(id)!.Trim(), wait, cancellationToken);
                var output = context.Output;
                if (output.IsJson)
                {
                    output.Json(approval);
                }
                else
                {
                    Print(output, [ApprovalText.Headline(approval), .. ApprovalText.Details(approval), .. ApprovalText.ApprovedArguments(approval)]);
                    if (approval.IsPending)
                    {
                        output.Note($"Still pending after {TimeArguments.Describe(wait)}; it expires at {CliOutput.Time(approval.ExpiresAt)}.");
                    }
                }

                return ApprovalText.WaitExitCode(approval);
            },
            failureExitCode: ExitCodes.Failed);
        return command;
    }

    private static Command Export(GlobalOptions globals)
    {
        var since = TimeArguments.DurationOption("--since", "Decisions made this far back from now", DefaultWindow, TimeSpan.FromSeconds(1), MaxWindow);
        var format = OneOf("--format", "an export format", "jsonl: one JSON object per decision and line", "jsonl", ["jsonl"]);
        // Shadows the global --output (table|json) on this command: the export is JSON lines whatever it says.
        var file = new Option<string?>("--output")
        {
            Description = "Write to this file (replaced only once the export is complete) instead of stdout; - for stdout. " +
                "(On this command --output names the file; -o still takes table or json, and changes nothing here.)",
            HelpName = "file",
        };
        var command = new Command(
            "export",
            "Export every human decision (approved, modified, rejected; not expiries) as labelled data, one JSON object per line, oldest " +
            "first: the agent's proposal, the decision, the changed fields (JSON paths), the rule, policy version, context and note.")
        {
            since,
            format,
            file,
        };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var window = context.Parse.ValueOr(since, DefaultWindow);
            var path = context.Parse.GetValue(file);
            if (string.IsNullOrEmpty(path) || path == "-")
            {
                await using var stdout = Console.OpenStandardOutput();
                var written = await context.Client.Approvals.ExportToAsync(stdout, window, cancellationToken);
                context.Output.Note($"Exported {CliOutput.Plural(written, "decision")} made in the last {TimeArguments.Describe(window)}.");
                return ExitCodes.Ok;
            }

            var count = await ExportToFileAsync(context.Client, Path.GetFullPath(path), window, cancellationToken);
            context.Output.Note($"Exported {CliOutput.Plural(count, "decision")} made in the last {TimeArguments.Describe(window)} to {path}.");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Streams into a file beside the target and moves it into place once complete, so that a failed export never
    /// leaves a partial file that looks whole.</summary>
    private static async Task<long> ExportToFileAsync(ReinClient client, string path, TimeSpan window, CancellationToken cancellationToken)
    {
        var folder = Path.GetDirectoryName(path) ?? ".";
        if (!Directory.Exists(folder))
        {
            throw new CliException(ExitCodes.Usage, $"--output: the folder {folder} does not exist");
        }

        var partial = Path.Combine(folder, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.partial");
        try
        {
            long count;
            await using (var stream = new FileStream(partial, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
            {
                count = await client.Approvals.ExportToAsync(stream, window, cancellationToken);
            }

            File.Move(partial, path, overwrite: true);
            return count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CliException(ExitCodes.Failed, $"--output: cannot write {path}: {e.Message}");
        }
        finally
        {
            if (File.Exists(partial))
            {
                File.Delete(partial);
            }
        }
    }

    private static Command Stats(GlobalOptions globals)
    {
        var since = TimeArguments.DurationOption("--since", "Requests opened this far back from now", DefaultWindow, TimeSpan.FromSeconds(1), MaxWindow);
        var command = new Command(
            "stats",
            "Requests opened in a window, per queue and in total: pending, approved, modified, rejected, expired, and the time to a " +
            "human decision (p50, p95).")
        {
            since,
        };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var window = context.Parse.ValueOr(since, DefaultWindow);
            var stats = await context.Client.Approvals.StatsAsync(window, cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(stats);
                return ExitCodes.Ok;
            }

            if (stats.Totals.Requests == 0)
            {
                output.Line($"No approval requests in the last {TimeArguments.Describe(window)}.");
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("queue", "requests", "pending", "approved", "modified", "rejected", "expired", "p50", "p95");
            foreach (var queue in stats.ByQueue)
            {
                StatsRow(table, PolicyText.Clean(queue.Queue, 40), queue);
            }

            StatsRow(table, "(all)", stats.Totals);
            output.Write(table);
            output.Note($"Requests opened in the last {TimeArguments.Describe(window)}; p50 and p95 are the times to a human decision.");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void StatsRow(Spectre.Console.Table table, string name, ApprovalQueueStats stats)
    {
        static string N(int value) => value.ToString(CultureInfo.InvariantCulture);
        CliOutput.AddRow(
            table,
            name,
            N(stats.Requests),
            N(stats.Pending),
            N(stats.Approved),
            N(stats.Modified),
            N(stats.Rejected),
            N(stats.Expired),
            ApprovalText.DecisionTime(stats.TimeToDecisionMs?.P50),
            ApprovalText.DecisionTime(stats.TimeToDecisionMs?.P95));
    }


    /// <summary>An option with a fixed set of values, whose error names the option and the values (System.CommandLine's
    /// own says neither which option nor, on one line, what to use).</summary>
    private static Option<string> OneOf(string name, string what, string description, string defaultValue, string[] values)
    {
        var option = new Option<string>(name)
        {
            Description = description,
            HelpName = string.Join('|', values),
            DefaultValueFactory = _ => defaultValue,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } value && !values.Contains(value, StringComparer.Ordinal))
            {
                result.AddError($"{name}: '{PolicyText.Clean(value, 100)}' is not {what}; use {string.Join(", ", values)}");
            }
        });
        option.CompletionSources.Add(values);
        return option;
    }

    private static Argument<string> IdArgument() => new("id") { Description = "The request's id (apr_…), as 'rein approvals list' or 'rein gate' prints it" };

    private static Option<string?> NoteOption() => new("--note") { Description = "Why, for the agent, the audit log and the feedback export", HelpName = "text" };

    private static TimeSpan ValueOr(this ParseResult parse, Option<TimeSpan?> option, TimeSpan defaultValue) => parse.GetValue(option) ?? defaultValue;

    private static void Print(CliOutput output, IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            output.Line(line);
        }
    }
}
