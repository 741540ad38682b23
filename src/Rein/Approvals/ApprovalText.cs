using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rein.Cli.Policies;
using Rein.Cli.Runs;
using Rein.Client;

namespace Rein.Cli.Approvals;

/// <summary>How approval requests read on a terminal, and the arguments the approvals commands take.</summary>
public static class ApprovalText
{
    /// <summary>The <c>--status</c> value that lists requests of every status.</summary>
    public const string AnyStatus = "all";

    private static readonly JsonSerializerOptions IndentedJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary><c>rein approvals wait</c>'s exit code, like <c>rein gate</c>'s: 0 approved, 3 rejected or expired (the
    /// action is denied), 4 still pending, 1 for a status this CLI does not know.</summary>
    public static int WaitExitCode(Approval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        return approval.Status switch
        {
            ApprovalStatuses.Approved => ExitCodes.Ok,
            ApprovalStatuses.Rejected or ApprovalStatuses.Expired => ExitCodes.ApprovalNotApproved,
            ApprovalStatuses.Pending => ExitCodes.ApprovalStillPending,
            _ => ExitCodes.Failed,
        };
    }

    /// <summary><c>--queues finance,ops</c>: names separated by commas, each once; false with a reason otherwise. The server
    /// checks the names themselves.</summary>
    public static bool TryParseQueues(string? text, out IReadOnlyList<string> queues, out string error)
    {
        queues = [];
        error = "";
        var names = new List<string>();
        foreach (var part in (text ?? "").Split(','))
        {
            var name = part.Trim();
            if (name.Length == 0)
            {
                error = $"'{text}' has an empty queue name; use names separated by commas, such as finance,ops";
                return false;
            }

            if (names.Contains(name, StringComparer.Ordinal))
            {
                error = $"'{name}' is listed twice";
                return false;
            }

            names.Add(name);
        }

        queues = names;
        return true;
    }

    /// <summary>What a request's status column says: the outcome once decided (<c>modified</c> rather than approved).</summary>
    public static string Status(string status, string? outcome) => outcome is { Length: > 0 } ? outcome : status;

    /// <summary><c>pending: payments.refund for agent support-bot (apr_…)</c>.</summary>
    public static string Headline(Approval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        return $"{Status(approval.Status, approval.Outcome)}: {PolicyText.Clean(approval.Tool, 200)} for agent {PolicyText.Clean(approval.Agent, 200)} ({approval.Id})";
    }

    /// <summary>The lines after the headline: where it waits and why, when it expires, and once decided, by whom, the
    /// note and, for an agent key, the token.</summary>
    public static IReadOnlyList<string> Details(Approval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var lines = new List<string>
        {
            Row("queue", $"{PolicyText.Clean(approval.Queue, 130)} (severity {approval.Severity})"),
        };
        if (approval.Rule is not null || approval.Message is not null)
        {
            lines.Add(Row("rule", approval.Message is null ? PolicyText.Clean(approval.Rule, 200) : $"{PolicyText.Clean(approval.Rule, 200)}: {PolicyText.Clean(approval.Message, 500)}"));
        }

        if (approval.Policy is { } policy)
        {
            lines.Add(Row("policy", GateTextPolicy(policy)));
        }

        lines.Add(Row("decision", approval.DecisionId));
        Optional(lines, "release", approval.Release);
        Optional(lines, "run", approval.RunId);
        Optional(lines, "session", approval.SessionId);
        Optional(lines, "principal", approval.PrincipalId);
        Optional(lines, "tool server", approval.Server);
        lines.Add(Row("created", CliOutput.Time(approval.CreatedAt)));
        lines.Add(Row(approval.IsPending ? "expires" : "expiry", CliOutput.Time(approval.ExpiresAt)));
        if (approval.DecidedAt is { } decidedAt)
        {
            var by = approval.DecidedByName is { } name
                ? $" by {PolicyText.Clean(name, 100)}{(approval.DecidedBy is { } id ? $" (key {id})" : "")}"
                : approval.DecidedBy is { } keyId ? $" by key {keyId}" : approval.Status == ApprovalStatuses.Expired ? " (nobody decided in time)" : "";
            lines.Add(Row("decided", CliOutput.Time(decidedAt) + by));
        }

        Optional(lines, "note", approval.Note);
        if (approval.Evidence?.Reason is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } reason)
        {
            lines.Add(Row("agent says", PolicyText.Clean(reason.ValueKind == JsonValueKind.String ? reason.GetString() : reason.GetRawText(), 500)));
        }

        if (approval.Token is { } token)
        {
            lines.Add(Row("token", $"{token} (single use{(approval.TokenExpiresAt is { } until ? ", until " + CliOutput.Time(until) : "")})"));
        }

        return lines;
    }

    /// <summary>The evidence as blocks: arguments, approved arguments when modified, context, and the run so far.</summary>
    public static IReadOnlyList<string> Evidence(Approval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var lines = new List<string>();
        Json(lines, "arguments (after redaction)", approval.Evidence?.Args);
        if (approval.Outcome == ApprovalOutcomes.Modified)
        {
            Json(lines, "approved arguments (modified)", approval.ApprovedArgs);
        }

        Json(lines, "context", approval.Evidence?.Context);
        if (approval.Evidence?.Run is { } run)
        {
            lines.Add("");
            lines.Add($"run so far: {CliOutput.Plural(run.StepCount, "step")}, {RunText.Duration(run.DurationMs)}, {RunText.Cost(run.CostUsd)}" +
                (run.Steps.Count < run.StepCount ? $" (the last {run.Steps.Count.ToString(CultureInfo.InvariantCulture)} below)" : ""));
            foreach (var step in run.Steps)
            {
                lines.Add($"  {PolicyText.Clean(step.Kind, 20),-6} {PolicyText.Clean(step.Name, RunText.MaxNameLength)}  {RunText.Duration(step.DurationMs)}  " +
                    $"{PolicyText.Clean(step.Status, 20)}{(step.CostUsd is { } cost ? "  " + RunText.Cost(cost) : "")}");
            }
        }

        return lines;
    }

    /// <summary>The approved arguments of a modification, indented, for the approve command's answer.</summary>
    public static IReadOnlyList<string> ApprovedArguments(Approval approval)
    {
        ArgumentNullException.ThrowIfNull(approval);
        var lines = new List<string>();
        if (approval.Outcome == ApprovalOutcomes.Modified)
        {
            Json(lines, "approved arguments", approval.ApprovedArgs);
        }

        return lines;
    }

    /// <summary>A time-to-decision column: <c>1.50s</c>, or <c>-</c> when nothing was decided.</summary>
    public static string DecisionTime(double? milliseconds) => milliseconds is { } ms ? RunText.Duration(ms) : "-";

    private static string GateTextPolicy(PolicyReference policy) => Gate.GateText.Policy(policy);

    private static void Optional(List<string> lines, string label, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            lines.Add(Row(label, PolicyText.Clean(value, 500)));
        }
    }

    private static void Json(List<string> lines, string title, JsonElement? value)
    {
        if (value is not { ValueKind: not JsonValueKind.Undefined and not JsonValueKind.Null } json)
        {
            return;
        }

        lines.Add("");
        lines.Add(title + ":");
        foreach (var line in JsonSerializer.Serialize(json, IndentedJson).Split('\n'))
        {
            lines.Add("  " + PolicyText.CleanLine(line));
        }
    }

    private static string Row(string label, string value) => $"  {label,-11} {value}";
}
