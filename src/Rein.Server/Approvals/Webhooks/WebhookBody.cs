using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Rein.Server.Approvals.Webhooks;

/// <summary>The <c>approval</c> object of a webhook body: what a receiver needs to show and link the request, never
/// its arguments.</summary>
public sealed record WebhookApproval(
    string Id,
    string Queue,
    string Severity,
    string Agent,
    string Tool,
    string? Rule,
    string? Message,
    DateTime CreatedAt,
    DateTime ExpiresAt,
    string Url);

/// <summary>A webhook body. <see cref="Text"/> is what chat tools (Slack, Mattermost, Rocket.Chat, Google Chat,
/// Discord's Slack-compatible endpoint) show when the body is posted to an incoming webhook; they ignore the rest.</summary>
public sealed record WebhookPayload(string Text, string Event, WebhookApproval Approval);

/// <summary>Builds the body of <c>approval.requested</c> once, when the request is created; every attempt sends those
/// same bytes.</summary>
public static class WebhookBody
{
    public const string RequestedEvent = "approval.requested";

    /// <summary>Chat tools advise keeping a message's text under 4,000 characters (Slack truncates far beyond it).</summary>
    public const int MaxTextLength = 4000;

    /// <summary>The rule's message in <c>approval.message</c>; the full message stays in the request.</summary>
    public const int MaxMessageLength = 2000;

    /// <summary>The rule's message in the one-line <c>text</c>.</summary>
    public const int MaxTextMessageLength = 500;

    /// <summary>Agent, tool, queue and rule names in the <c>text</c>.</summary>
    public const int MaxTextNameLength = 200;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static WebhookPayload Build(ApprovalCreated created, string link)
    {
        ArgumentNullException.ThrowIfNull(created);
        ArgumentNullException.ThrowIfNull(link);
        var approval = new WebhookApproval(
            created.RequestId,
            created.Queue,
            created.Severity,
            created.Agent,
            created.Tool,
            created.Rule,
            created.Message is null ? null : Cut(created.Message, MaxMessageLength),
            created.CreatedAt.UtcDateTime,
            created.ExpiresAt.UtcDateTime,
            link);
        return new WebhookPayload(Text(created, link), RequestedEvent, approval);
    }

    public static string Serialize(WebhookPayload payload) => JsonSerializer.Serialize(payload, Json);

    /// <summary>One line: <c>[HIGH] Approval needed in finance: support-bot wants payments.refund - refund of 500
    /// needs finance (rule: large refunds). Expires 12:15 UTC. https://rein.example.com/approvals/apr_…</c></summary>
    internal static string Text(ApprovalCreated created, string link)
    {
        var text = new StringBuilder()
            .Append('[').Append(OneLine(created.Severity, 16).ToUpperInvariant()).Append("] Approval needed in ")
            .Append(OneLine(created.Queue, MaxTextNameLength)).Append(": ")
            .Append(OneLine(created.Agent, MaxTextNameLength)).Append(" wants ").Append(OneLine(created.Tool, MaxTextNameLength));
        if (!string.IsNullOrWhiteSpace(created.Message))
        {
            text.Append(" - ").Append(OneLine(created.Message, MaxTextMessageLength));
        }

        if (!string.IsNullOrWhiteSpace(created.Rule))
        {
            text.Append(" (rule: ").Append(OneLine(created.Rule, MaxTextNameLength)).Append(')');
        }

        text.Append(". Expires ")
            .Append(created.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture))
            .Append(" UTC.");
        var link1 = OneLine(link, MaxTextLength);
        return Cut(text.ToString(), Math.Max(0, MaxTextLength - link1.Length - 1)) + " " + link1;
    }

    /// <summary>Control characters (new lines above all) become spaces, so the text stays one line.</summary>
    private static string OneLine(string value, int max)
    {
        var line = string.Create(value.Length, value, (span, v) =>
        {
            for (var i = 0; i < v.Length; i++)
            {
                span[i] = char.IsControl(v[i]) ? ' ' : v[i];
            }
        });
        return Cut(line.Trim(), max);
    }

    private static string Cut(string value, int max)
    {
        if (value.Length <= max)
        {
            return value;
        }

        if (max == 0)
        {
            return "";
        }

        // Never half of a surrogate pair (an emoji in a message).
        var end = max - 1;
        if (end > 0 && char.IsHighSurrogate(value[end - 1]))
        {
            end--;
        }

        return value[..end].TrimEnd() + "…";
    }
}
