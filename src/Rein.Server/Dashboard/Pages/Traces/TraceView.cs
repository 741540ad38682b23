using Microsoft.AspNetCore.Html;
using Rein.Core.Traces;
using Rein.Server.Traces;

namespace Rein.Server.Dashboard.Pages.Traces;

/// <summary>Small pieces of markup the trace pages share. Every text here is a fixed word, so none needs encoding.</summary>
public static class TraceView
{
    public static HtmlString StatusBadge(RunStatus status)
    {
        var name = status.ToString().ToLowerInvariant();
        return new HtmlString($"<span class=\"state state-{name}\">{name}</span>");
    }

    /// <summary>A short label for a step kind, in the waterfall's narrow kind column.</summary>
    public static string KindLabel(StepKind kind) => kind switch
    {
        StepKind.Llm => "LLM",
        StepKind.Tool => "tool",
        StepKind.Agent => "agent",
        StepKind.Retrieval => "retrieve",
        StepKind.Embedding => "embed",
        StepKind.Memory => "memory",
        StepKind.Chain => "chain",
        StepKind.Guardrail => "guard",
        StepKind.Approval => "approval",
        _ => "span",
    };

    public static string KindClass(StepKind kind) => "kind-" + kind.ToString().ToLowerInvariant();

    /// <summary>Input and output tokens as one cell; empty when the run or span used none.</summary>
    public static string Tokens(long input, long output) =>
        input == 0 && output == 0 ? "" : $"{Format.Count(input)} / {Format.Count(output)}";

    public static string RunUrl(string runId) => "/traces/runs/" + runId;

    public static string SessionUrl(string sessionId) => "/traces/sessions/" + Uri.EscapeDataString(sessionId);
}
