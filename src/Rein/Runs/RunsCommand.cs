using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rein.Client;

namespace Rein.Cli.Runs;

/// <summary><c>rein runs list|show|tail</c>: the project's agent runs (viewer, approver or admin key).</summary>
public static class RunsCommand
{
    /// <summary>The server's largest page.</summary>
    private const int PageSize = 500;

    /// <summary>More than a screen can hold many times over; <c>--output json</c> with filters is the tool for more.</summary>
    private const int MaxListed = 10_000;

    /// <summary>Deeper spans stop moving right, so a deep tree stays on the screen; their depth is printed instead.</summary>
    private const int MaxIndentDepth = 32;

    /// <summary>How far back each tail poll looks. Spans are exported after they end, so a run can first appear minutes
    /// after it started; agents' clocks may also run a little behind this machine's.</summary>
    public static readonly TimeSpan TailWindow = TimeSpan.FromMinutes(15);

    /// <summary>Pages read per tail poll: with the window, the most runs one poll can see.</summary>
    private const int TailPagesPerPoll = 4;

    private static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(10);

    private static readonly JsonSerializerOptions LineJson = new(JsonSerializerDefaults.Web) { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create(GlobalOptions globals)
    {
        var runs = new Command("runs", "List, inspect and follow the project's agent runs (viewer, approver or admin key).");
        runs.Subcommands.Add(List(globals));
        runs.Subcommands.Add(Show(globals));
        runs.Subcommands.Add(Tail(globals));
        return runs;
    }

    private static Command List(GlobalOptions globals)
    {
        var filters = new RunFilterOptions(withTimes: true);
        var limit = WholeNumbers.Option("--limit", $"How many runs, newest first (at most {MaxListed})", "a number of runs", 1, MaxListed, 50, "-n");
        var command = new Command("list", "List runs, newest first: id, start, agent, status, duration, steps, tokens in/out and cost ('?' when a model has no price).") { limit };
        filters.AddTo(command);
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var query = filters.ToQuery(context.Parse);
            var wanted = context.Parse.GetValue(limit);
            var (found, more) = await Pages.CollectAsync(
                (cursor, count) => context.Client.Runs.ListAsync(query, cursor, count, cancellationToken), wanted, PageSize);

            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(found);
                return ExitCodes.Ok;
            }

            if (found.Count == 0)
            {
                output.Line(query == new RunQuery() ? "No runs yet." : "No runs match.");
                return ExitCodes.Ok;
            }

            var table = CliOutput.NewTable("id", "started", "agent", "status", "duration", "steps", "tokens in/out", "cost");
            foreach (var run in found)
            {
                CliOutput.AddRow(
                    table,
                    run.Id,
                    CliOutput.Time(run.StartedAt),
                    RunText.Clean(run.Agent, 40),
                    run.Status,
                    RunText.Duration(run.DurationMs),
                    run.Steps.ToString(CultureInfo.InvariantCulture),
                    RunText.Tokens(run.Tokens.Input, run.Tokens.Output),
                    RunText.Cost(run.Cost));
            }

            output.Write(table);
            if (more)
            {
                output.Note($"More runs match; --limit {Math.Min(MaxListed, wanted * 2)} shows more.");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Show(GlobalOptions globals)
    {
        var id = new Argument<string>("id") { Description = "The run's id (its trace id, 32 hex characters), as 'rein runs list' prints it" };
        var command = new Command("show", "Show a run and its spans as a tree: children under their parents, in start order.") { id };
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            var details = await context.Client.Runs.GetAsync(context.Parse.GetValue(id)!.Trim(), cancellationToken);
            var output = context.Output;
            if (output.IsJson)
            {
                output.Json(details);
                return ExitCodes.Ok;
            }

            foreach (var line in Header(details.Run))
            {
                output.Line(line);
            }

            output.Line("");
            foreach (var line in SpanTree.Lines(details.Spans))
            {
                output.Line(TreeLine(line));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Tail(GlobalOptions globals)
    {
        var filters = new RunFilterOptions(withTimes: false);
        var defaultInterval = TimeSpan.FromSeconds(2);
        var defaultRunningAfter = TimeSpan.FromMinutes(1);
        var interval = TimeArguments.DurationOption("--interval", "How often to ask the server", defaultInterval, MinInterval, MaxInterval);
        var runningAfter = TimeArguments.DurationOption(
            "--running-after",
            "Print a run that is still running this long after it appeared (its outcome is then not printed again)",
            defaultRunningAfter,
            TimeSpan.FromSeconds(1),
            TailWindow / 2);
        var command = new Command(
            "tail",
            "Print runs as they finish, one line each, until Ctrl-C. A run still running after --running-after is printed then, once. " +
            "With --output json, one JSON object per line.")
        {
            interval,
            runningAfter,
        };
        filters.AddTo(command);
        command.SetApiAction(globals, async (context, cancellationToken) =>
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            // Ctrl-C and SIGTERM end the tail as its normal way to finish: exit 0, nothing on stderr.
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal =>
            {
                signal.Cancel = true;
                stop.Cancel();
            });
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
            {
                signal.Cancel = true;
                stop.Cancel();
            });
            var query = filters.ToQuery(context.Parse);
            var state = new TailState(context.Parse.GetValue(runningAfter) ?? defaultRunningAfter);
            var output = context.Output;
            using var timer = new PeriodicTimer(context.Parse.GetValue(interval) ?? defaultInterval);
            try
            {
                var primed = false;
                do
                {
                    var now = DateTimeOffset.UtcNow;
                    var windowStart = now - TailWindow;
                    IReadOnlyList<Run> runs;
                    try
                    {
                        runs = await PollAsync(context.Client, query with { From = windowStart }, stop.Token);
                    }
                    catch (Exception e) when (primed && IsTransient(e) && !stop.IsCancellationRequested)
                    {
                        output.Error.WriteLine($"rein: {context.Connection.ServerText} did not answer ({Transient(e)}); trying again");
                        continue;
                    }

                    foreach (var run in state.Observe(runs, windowStart, now))
                    {
                        output.Line(output.IsJson ? JsonSerializer.Serialize(run, LineJson) : RunText.TailLine(run));
                    }

                    if (!primed)
                    {
                        output.Note($"Following runs at {context.Connection.ServerText}; each is printed once, when it finishes. Ctrl-C stops.");
                        primed = true;
                    }
                }
                while (await timer.WaitForNextTickAsync(stop.Token));
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static async Task<IReadOnlyList<Run>> PollAsync(ReinClient client, RunQuery query, CancellationToken cancellationToken)
    {
        var runs = new List<Run>();
        string? cursor = null;
        for (var i = 0; i < TailPagesPerPoll; i++)
        {
            var page = await client.Runs.ListAsync(query, cursor, PageSize, cancellationToken);
            runs.AddRange(page.Items);
            if (page.Next is null || page.Items.Count == 0 || page.Next == cursor)
            {
                break;
            }

            cursor = page.Next;
        }

        return runs;
    }

    /// <summary>A server restarting or a network blip should not end a tail that has been running for hours.</summary>
    private static bool IsTransient(Exception e) => e switch
    {
        ReinApiException api => api.StatusCode >= HttpStatusCode.InternalServerError,
        HttpRequestException http => http.HttpRequestError != HttpRequestError.InvalidResponse,
        TaskCanceledException { InnerException: TimeoutException } => true,
        _ => false,
    };

    private static string Transient(Exception e) => e switch
    {
        ReinApiException api => $"{(int)api.StatusCode} {api.Title}",
        TaskCanceledException => "timed out",
        _ => e.Message,
    };

    private static IEnumerable<string> Header(Run run)
    {
        yield return $"Run {run.Id}: {RunText.Clean(run.Name ?? "(root span not received)")}";
        yield return $"  status      {run.Status}";
        yield return $"  agent       {RunText.Clean(run.Agent)}{(run.Release is null ? "" : $", release {RunText.Clean(run.Release)}")}";
        if (run.Session is not null || run.User is not null)
        {
            yield return $"  session     {RunText.Clean(run.Session)}, user {RunText.Clean(run.User)}";
        }

        yield return $"  started     {CliOutput.Time(run.StartedAt)}, took {RunText.Duration(run.DurationMs)}";
        yield return $"  spans       {run.Spans.ToString(CultureInfo.InvariantCulture)}: {CliOutput.Plural(run.Steps, "step")}, {CliOutput.Plural(run.ToolCalls, "tool call")}, {CliOutput.Plural(run.Errors, "error")}" +
            (run.Violations > 0 ? $", {CliOutput.Plural(run.Violations, "violation")} (calls the gate denied)" : "");
        yield return string.Create(CultureInfo.InvariantCulture, $"  tokens      {run.Tokens.Input} in, {run.Tokens.Output} out, {run.Tokens.CachedInput} cached, {run.Tokens.Reasoning} reasoning");
        yield return run.Cost is null
            ? $"  cost        ? ({CliOutput.Plural(run.UnpricedSpans, "span")} used a model with no price)"
            : $"  cost        {RunText.Cost(run.Cost)}";
        if (run.Redactions > 0)
        {
            yield return $"  redactions  {CliOutput.Plural(run.Redactions, "secret")} redacted before storage";
        }
    }

    /// <summary>kind, name, duration, tokens, cost, an error mark with the status message, and why a span is at the top.</summary>
    public static string TreeLine(SpanLine line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var span = line.Span;
        var text = new StringBuilder();
        text.Append(' ', 2 * Math.Min(line.Depth, MaxIndentDepth));
        if (line.Depth > MaxIndentDepth)
        {
            text.Append(CultureInfo.InvariantCulture, $"[depth {line.Depth}] ");
        }

        text.Append(span.Kind).Append(' ').Append(RunText.Clean(span.Name)).Append("  ").Append(RunText.Duration(span.DurationMs));
        if (span.Tokens.Input is not null || span.Tokens.Output is not null)
        {
            text.Append("  ").Append(RunText.Tokens(span.Tokens.Input ?? 0, span.Tokens.Output ?? 0)).Append(" tokens");
        }

        if (span.CostUnknown)
        {
            text.Append("  cost ?");
        }
        else if (span.Cost is { } cost)
        {
            text.Append("  ").Append(RunText.Cost(cost));
        }

        if (span.Status == "error")
        {
            text.Append("  ERROR");
            if (!string.IsNullOrEmpty(span.StatusMessage))
            {
                text.Append(": ").Append(RunText.Clean(span.StatusMessage, 200));
            }
        }

        if (line.Orphan)
        {
            text.Append("  (parent not received)");
        }
        else if (line.InCycle)
        {
            text.Append("  (parents form a cycle)");
        }

        return text.ToString();
    }

    /// <summary>The filters <c>list</c> and <c>tail</c> share; they map one to one onto the API's query parameters.</summary>
    private sealed class RunFilterOptions
    {
        private readonly Option<string?> _agent = new("--agent") { Description = "Only this agent's runs" };
        private readonly Option<string?> _release = new("--release") { Description = "Only runs of this release (agent version)" };
        private readonly Option<string?> _status = new Option<string?>("--status") { Description = "Only runs with this status" }.AcceptOnlyFromAmong([.. RunStatuses.All]);
        private readonly Option<string?> _session = new("--session") { Description = "Only runs of this session" };
        private readonly Option<string?> _user = new("--user") { Description = "Only runs for this end user" };
        private readonly Option<DateTimeOffset?> _since = PointOption("--since", "Only runs that started at or after this");
        private readonly Option<DateTimeOffset?> _until = PointOption("--until", "Only runs that started before this");
        private readonly Option<decimal?> _minCost = new("--min-cost") { Description = "Only runs that cost at least this many US dollars", HelpName = "usd" };
        private readonly Option<bool> _errors = new("--errors") { Description = "Only runs with at least one error span" };
        private readonly Option<string?> _tool = new("--tool") { Description = "Only runs that called this tool" };
        private readonly bool _withTimes;

        public RunFilterOptions(bool withTimes)
        {
            _withTimes = withTimes;
            _minCost.Validators.Add(result =>
            {
                if (result.GetValueOrDefault<decimal?>() < 0)
                {
                    result.AddError("--min-cost must be at least 0");
                }
            });
        }

        public void AddTo(Command command)
        {
            command.Options.Add(_agent);
            command.Options.Add(_release);
            command.Options.Add(_status);
            command.Options.Add(_session);
            command.Options.Add(_user);
            if (_withTimes)
            {
                command.Options.Add(_since);
                command.Options.Add(_until);
            }

            command.Options.Add(_minCost);
            command.Options.Add(_errors);
            command.Options.Add(_tool);
        }

        public RunQuery ToQuery(ParseResult parse) => new()
        {
            Agent = parse.GetValue(_agent),
            Release = parse.GetValue(_release),
            Status = parse.GetValue(_status),
            Session = parse.GetValue(_session),
            User = parse.GetValue(_user),
            From = _withTimes ? parse.GetValue(_since) : null,
            To = _withTimes ? parse.GetValue(_until) : null,
            MinCost = parse.GetValue(_minCost),
            HasError = parse.GetValue(_errors) ? true : null,
            Tool = parse.GetValue(_tool),
        };

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
}
