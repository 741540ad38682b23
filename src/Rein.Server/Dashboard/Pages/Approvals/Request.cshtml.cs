using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Identity;
using Rein.Core.Policies;
using Rein.Server.Approvals;
using Rein.Server.Dashboard.Pages.Policies;
using Rein.Server.Identity;

namespace Rein.Server.Dashboard.Pages.Approvals;

/// <summary>
/// One approval request: what the agent wants to do and why it was held, the run so far, and (for a key that may
/// decide its queue, while it is pending) approve, approve with changed arguments, or reject, with a note. Decisions
/// go through <see cref="ApprovalService"/>, so they are exactly the API's: audited, traced, woken waiters.
/// </summary>
public sealed class RequestModel(ApprovalService approvals, ApprovalsOptions options, TimeProvider time) : PageModel
{
    [BindProperty(Name = "note")]
    public string? Note { get; set; }

    /// <summary>The arguments as the approver left them, as JSON text: the proposed ones unless changed.</summary>
    [BindProperty(Name = "args")]
    public string? Args { get; set; }

    public ApprovalResponse Approval { get; private set; } = null!;

    public bool CanDecide { get; private set; }

    /// <summary>Why this key may not decide the request, when it may not and the request is pending.</summary>
    public string? CannotDecide { get; private set; }

    public string? Error { get; private set; }

    /// <summary>The form field the error is about (<c>note</c> or <c>args</c>); null for the whole decision.</summary>
    public string? ErrorField { get; private set; }

    /// <summary>Said after a decision made from this page.</summary>
    public string? Notice { get; private set; }

    public DateTimeOffset Now { get; private set; }

    public int MaxNoteLength => options.MaxNoteLength;

    public async Task<IActionResult> OnGetAsync(string id, string? decided, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        Args = ProposedText();
        // Said only when it is true: the query string alone is not trusted to claim a decision.
        if (decided is not null && Approval.Status != ApprovalStatuses.Pending && Approval.DecidedBy == HttpContext.Caller().KeyId)
        {
            Notice = Approval.Outcome switch
            {
                ApprovalOutcomes.Modified => "Approved with the changed arguments. The agent may now perform exactly those, once.",
                ApprovalOutcomes.Approved => "Approved. The agent may now perform exactly this action, once.",
                ApprovalOutcomes.Rejected => "Rejected. The agent is told, and the action stays refused.",
                _ => "The request expired before your decision: it counts as denied.",
            };
        }

        return Page();
    }

    public Task<IActionResult> OnPostApproveAsync(string id, CancellationToken cancellationToken) =>
        DecideAsync(id, approve: true, cancellationToken);

    public Task<IActionResult> OnPostRejectAsync(string id, CancellationToken cancellationToken) =>
        DecideAsync(id, approve: false, cancellationToken);

    /// <summary>The proposed arguments (as stored, so redacted where the policy redacts), indented for editing.</summary>
    public string ProposedText() =>
        Approval.Evidence.Args is { } args ? PolicyView.Json(args) : "";

    private async Task<IActionResult> DecideAsync(string id, bool approve, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(id, cancellationToken))
        {
            return NotFound();
        }

        var caller = HttpContext.Caller();
        try
        {
            if (approve)
            {
                await approvals.ApproveAsync(caller, Approval.Id, Note, ChangedArguments(), cancellationToken);
            }
            else
            {
                await approvals.RejectAsync(caller, Approval.Id, Note, cancellationToken);
            }

            // Post/redirect/get: a reload must not try the decision again.
            return Redirect(ApprovalView.RequestUrl(Approval.Id) + "?decided=1");
        }
        catch (ReinProblemException e) when (e.Status < 500)
        {
            Error = e.FieldProblem ?? e.Message;
            ErrorField = e.Field is "note" or "args" ? e.Field : null;
            Response.StatusCode = e.Status;
            // Show it as it stands now (decided by someone else meanwhile, say), the approver's input kept.
            await LoadAsync(id, cancellationToken);
            return Page();
        }
    }

    /// <summary>The arguments to approve with when they differ from the proposed ones; null to approve as asked.</summary>
    /// <exception cref="ReinProblemException">400 on <c>args</c> when the text is not JSON.</exception>
    private JsonElement? ChangedArguments()
    {
        if (string.IsNullOrWhiteSpace(Args))
        {
            return Approval.Evidence.Args is null
                ? null
                : throw ReinProblemException.Invalid("args", "are empty; leave the proposed arguments as they are to approve them as asked");
        }

        var bytes = System.Text.Encoding.UTF8.GetByteCount(Args);
        if (bytes > options.MaxArgsBytes)
        {
            throw ReinProblemException.Invalid("args", $"are {bytes} bytes; at most {options.MaxArgsBytes} are allowed (Approvals:MaxArgsBytes)");
        }

        JsonElement given;
        try
        {
            using var document = JsonDocument.Parse(Args, new JsonDocumentOptions { MaxDepth = 64 });
            given = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ReinProblemException.Invalid("args", $"are not a JSON object (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}); write them as {{\"name\": value, …}}");
        }

        // Unchanged (whatever the spacing or key order) is approval as asked: the token binds to the arguments the agent
        // proposed, whose redacted values this page never had.
        return ArgumentsHash.Compute(given) == ArgumentsHash.Compute(Approval.Evidence.Args) ? null : given;
    }

    private async Task<bool> LoadAsync(string id, CancellationToken cancellationToken)
    {
        if (!ApprovalIds.IsValid(id))
        {
            return false;
        }

        var caller = HttpContext.Caller();
        Now = time.GetUtcNow();
        try
        {
            Approval = await approvals.GetAsync(caller, id, TimeSpan.Zero, cancellationToken);
        }
        catch (ReinProblemException e) when (e.Status == StatusCodes.Status404NotFound)
        {
            return false;
        }

        CanDecide = Approval.Status == ApprovalStatuses.Pending && await approvals.MayDecideAsync(caller, Approval.Queue, cancellationToken);
        if (Approval.Status == ApprovalStatuses.Pending && !CanDecide)
        {
            CannotDecide = caller.Role.Grants(Permission.Approve)
                ? $"Your key may not decide requests in queue {Approval.Queue}; an approver of that queue must."
                : "Your key may read this request but not decide it: deciding needs the approver or admin role.";
        }

        return true;
    }
}
