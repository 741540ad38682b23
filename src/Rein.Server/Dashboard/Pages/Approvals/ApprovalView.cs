using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Html;
using Rein.Core.Policies;
using Rein.Server.Approvals;

namespace Rein.Server.Dashboard.Pages.Approvals;

/// <summary>How the approvals pages show a request's severity, status and age, and where its pages are.</summary>
public static class ApprovalView
{
    /// <summary>The status filter's value for requests of any status.</summary>
    public const string AnyStatus = "all";

    public static string RequestUrl(string id) => "/approvals/" + id;

    public static string QueueUrl(string queue) => "/approvals?queue=" + Uri.EscapeDataString(queue);

    /// <summary>A severity badge: the word is the severity, the colour only repeats it.</summary>
    public static HtmlString SeverityBadge(string severity)
    {
        var known = PolicyNames.TryParseSeverity(severity, out _);
        var text = HtmlEncoder.Default.Encode(severity);
        return new HtmlString($"<span class=\"badge severity severity-{(known ? severity : "unknown")}\">{text}</span>");
    }

    /// <summary>Where a request stands, in words: a modification is "modified", an expiry "expired (denied)".</summary>
    public static HtmlString StatusBadge(string status, string? outcome)
    {
        var (name, text) = (status, outcome) switch
        {
            (ApprovalStatuses.Approved, ApprovalOutcomes.Modified) => ("modified", "approved, modified"),
            (ApprovalStatuses.Expired, _) => ("expired", "expired (denied)"),
            _ when ApprovalStatuses.All.Contains(status) => (status, status),
            _ => ("unknown", HtmlEncoder.Default.Encode(status)),
        };
        return new HtmlString($"<span class=\"badge approval-status approval-status-{name}\">{text}</span>");
    }

    /// <summary>How long ago, or how long until, in the largest whole unit that matters to someone deciding.</summary>
    public static string Span(TimeSpan span)
    {
        var s = span.Duration();
        return s switch
        {
            { TotalSeconds: < 60 } => $"{(int)s.TotalSeconds} s",
            { TotalMinutes: < 60 } => $"{(int)s.TotalMinutes} min",
            { TotalHours: < 48 } => $"{(int)s.TotalHours} h {s.Minutes} min",
            _ => $"{(int)s.TotalDays} d {s.Hours} h",
        };
    }
}
