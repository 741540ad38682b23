using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Rein.Cli.Policies;
using Rein.Client;

namespace Rein.Cli.Gate;

/// <summary>How decisions read on a terminal, and the JSON arguments the gate commands take.</summary>
public static class GateText
{
    /// <summary><c>rein gate</c>'s exit code: 0 allow, 3 deny, 4 confirm or require_approval.</summary>
    public static int ExitCode(GateEffect effect) => effect switch
    {
        GateEffect.Allow => ExitCodes.Ok,
        GateEffect.Deny => ExitCodes.GateDenied,
        _ => ExitCodes.GateNeedsConfirmation,
    };

    /// <summary>A JSON object from the command line (<c>--args '{"amount": 500}'</c>); false with a reason for anything else.</summary>
    public static bool TryParseObject(string? text, out JsonObject? value, out string error)
    {
        value = null;
        error = "";
        try
        {
            if (JsonNode.Parse(text ?? "") is JsonObject json)
            {
                value = json;
                return true;
            }

            error = "expected a JSON object such as '{\"amount\": 500}'";
        }
        catch (JsonException e)
        {
            // The reader's own advice ("Change the reader options") is for programmers, not for whoever typed the JSON.
            var message = e.Message.Split([" Path:", " LineNumber:", " Change the reader options"], StringSplitOptions.None)[0].TrimEnd('.', ' ');
            var at = e.BytePositionInLine is { } position ? $" at character {(position + 1).ToString(CultureInfo.InvariantCulture)}" : "";
            error = $"not JSON{at}: {message}";
        }

        return false;
    }

    /// <summary>The decision's lines after its headline: id, policy, reasons, route, the approval request it opened,
    /// obligations, shadow decisions.</summary>
    public static IReadOnlyList<string> Details(string decisionId, PolicyReference? policy, string? mode, IReadOnlyList<DecisionReason> reasons, string? route, DecisionObligations? obligations, IReadOnlyList<ShadowDecision>? shadow, DecisionApproval? approval = null)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        var lines = new List<string>
        {
            Row("decision", decisionId),
            Row("policy", policy is null ? "none (a kill switch or no active policy decided)" : $"{Policy(policy)}{(mode is null ? "" : $" ({mode})")}"),
        };
        foreach (var reason in reasons)
        {
            lines.Add(Row("reason", $"{PolicyText.Clean(reason.Rule, 200)}: {PolicyText.Clean(reason.Message, 500)}"));
        }

        if (route is not null)
        {
            lines.Add(Row("route", PolicyText.Clean(route, 200)));
        }

        if (approval?.RequestId is { } requestId)
        {
            var expires = approval.ExpiresAt is { } at ? $", expires {CliOutput.Time(at)}" : "";
            lines.Add(Row("approval", $"{requestId} {approval.Status ?? "pending"} in queue {PolicyText.Clean(approval.Queue, 130)} (severity {approval.Severity ?? "medium"}{expires})"));
        }

        foreach (var path in obligations?.Redact ?? [])
        {
            lines.Add(Row("redact", PolicyText.Clean(path, 200)));
        }

        foreach (var limit in obligations?.RateLimits ?? [])
        {
            lines.Add(Row("rate limit", $"{PolicyText.Clean(limit.Key, 200)}: at most {limit.Limit.ToString(CultureInfo.InvariantCulture)} per {limit.Window} (rule {PolicyText.Clean(limit.Rule, 200)})"));
        }

        foreach (var would in shadow ?? [])
        {
            var rules = would.Rules.Count == 0 ? "" : $" (rules {PolicyText.Clean(string.Join(", ", would.Rules), 300)})";
            lines.Add(Row("shadow", $"{PolicyText.Clean(would.Policy, 128)} version {would.Version.ToString(CultureInfo.InvariantCulture)} ({would.Mode}) would {would.Effect.ToName()}{rules}"));
        }

        return lines;
    }

    /// <summary><c>refunds v3</c>.</summary>
    public static string Policy(PolicyReference policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return $"{PolicyText.Clean(policy.Name, 128)} version {policy.Version.ToString(CultureInfo.InvariantCulture)}";
    }

    public static string Latency(long microseconds) => microseconds < 1000
        ? microseconds.ToString(CultureInfo.InvariantCulture) + "µs"
        : (microseconds / 1000.0).ToString("0.0", CultureInfo.InvariantCulture) + "ms";

    private static string Row(string label, string value) => $"  {label,-11} {value}";
}
