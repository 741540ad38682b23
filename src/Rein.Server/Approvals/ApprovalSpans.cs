using System.Security.Cryptography;
using Rein.Core.Traces;

namespace Rein.Server.Approvals;

/// <summary>
/// A human decision or an expiry as a span <c>rein.approval &lt;tool&gt;</c> in the run's trace, beside the gate's span
/// for the decision that asked (a child of the same caller span), lasting from the request to its decision.
/// </summary>
internal static class ApprovalSpans
{
    public static RawSpan? Build(ApprovalRow row)
    {
        if (row.TraceId is not { } traceId || row.DecidedAt is not { } decidedAt)
        {
            return null;
        }

        var outcome = row.Outcome ?? row.Status;
        var attributes = new List<SpanAttribute>
        {
            new("rein.approval.id", row.Id),
            new("rein.approval.outcome", outcome),
            new("rein.approval.queue", row.Queue),
            new("rein.approval.severity", row.Severity),
            new("gen_ai.tool.name", row.Tool),
            new("gen_ai.agent.name", row.Agent),
        };
        if ((row.DecidedByName ?? row.DecidedBy) is { } by)
        {
            attributes.Add(new("rein.approval.decided_by", by));
        }

        if (row.Note is { } note)
        {
            attributes.Add(new("rein.approval.note", note));
        }

        if (row.ApprovedArgsHash is { } hash)
        {
            attributes.Add(new("rein.approval.args_hash", hash));
        }

        var refused = outcome is ApprovalOutcomes.Rejected or ApprovalOutcomes.Expired;

        // Opened in the millisecond its caller's span started, a request must not start before that span.
        var start = row.CreatedNs ?? (row.CreatedAt * 1_000_000);
        return new RawSpan
        {
            TraceId = traceId,
            SpanId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            ParentSpanId = row.ParentSpanId,
            Name = "rein.approval " + row.Tool,
            Kind = 1,
            StartUnixNano = start,
            EndUnixNano = Math.Max(start, decidedAt * 1_000_000),
            Attributes = attributes,
            Status = refused ? SpanStatus.Error : SpanStatus.Unset,
            StatusMessage = refused ? $"approval {outcome}" : null,
            Resource = [new("service.name", "rein")],
            ScopeName = "rein.approvals",
            FromRein = true,
        };
    }
}
