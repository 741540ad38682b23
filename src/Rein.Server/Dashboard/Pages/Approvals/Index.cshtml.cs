using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Mvc;
using Rein.Core.Identity;
using Rein.Server.Approvals;
using Rein.Server.Identity;

namespace Rein.Server.Dashboard.Pages.Approvals;

/// <summary>
/// The approvals inbox: the requests of one queue (or all), most severe first and then oldest first, as the API
/// orders them, under the queues that have requests waiting. The filter is a plain GET, so a queue's inbox can be
/// bookmarked; it is pending requests unless another status is asked for.
/// </summary>
public sealed class InboxModel(ApprovalService approvals, KeyService keys, TimeProvider time) : FilteredListModel(ApprovalQueueNames.MaxLength)
{
    public const int PageSize = Paging.DefaultLimit;

    [BindProperty(SupportsGet = true, Name = "queue")]
    public string? Queue { get; set; }

    [BindProperty(SupportsGet = true, Name = "status")]
    public string? Status { get; set; }

    public IReadOnlyList<ApprovalSummary> Requests { get; private set; } = [];

    public IReadOnlyList<PendingQueue> Waiting { get; private set; } = [];

    /// <summary>The status shown: one of <see cref="ApprovalStatuses.All"/>, or <see cref="ApprovalView.AnyStatus"/>.</summary>
    public string ShownStatus { get; private set; } = ApprovalStatuses.Pending;

    /// <summary>The queue shown; null for every queue.</summary>
    public string? ShownQueue { get; private set; }

    /// <summary>What this key may decide, in words, or null when it may decide nothing.</summary>
    public string? MayDecide { get; private set; }

    public DateTimeOffset Now { get; private set; }

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        var caller = HttpContext.Caller();
        Now = time.GetUtcNow();
        ShownQueue = Text("queue", Queue);
        if (ShownQueue is not null && !ApprovalQueueNames.IsValid(ShownQueue))
        {
            Problems["queue"] = $"'{Shorten(ShownQueue)}' is not a queue name: letters, digits, spaces and . _ : / -";
            ShownQueue = null;
        }

        var status = string.IsNullOrWhiteSpace(Status) ? ApprovalStatuses.Pending : Status.Trim();
        if (status != ApprovalView.AnyStatus && !ApprovalStatuses.All.Contains(status))
        {
            Problems["status"] = $"'{Shorten(status)}' is not a status; choose {string.Join(", ", ApprovalStatuses.All)} or all";
        }
        else
        {
            ShownStatus = status;
        }

        var cursor = string.IsNullOrWhiteSpace(Cursor) ? null : Cursor.Trim();
        Waiting = await approvals.PendingByQueueAsync(caller, cancellationToken);
        if (caller.Role.Grants(Permission.Approve))
        {
            var queues = await keys.QueuesOfAsync(caller, cancellationToken);
            MayDecide = ApprovalService.DescribeQueues(queues);
            if (queues is { Count: > 0 })
            {
                // A key limited to some queues lands on its own (the first with requests waiting), not on requests it
                // cannot decide; "All queues" is still a click away.
                LimitedToQueues = true;
                if (!Request.Query.ContainsKey("queue"))
                {
                    ShownQueue = Waiting.FirstOrDefault(q => queues.Contains(q.Queue, StringComparer.Ordinal))?.Queue ?? queues[0];
                }
            }
        }

        if (Problems.Count > 0)
        {
            Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        Filtered = ShownQueue is not null || ShownStatus != ApprovalStatuses.Pending;
        try
        {
            var filter = new ApprovalFilter { Queue = ShownQueue, Status = ShownStatus == ApprovalView.AnyStatus ? null : ShownStatus };
            var page = await approvals.ListAsync(caller, filter, cursor, PageSize, cancellationToken);
            Requests = page.Items;
            OlderUrl = page.Next is null ? null : PageUrl(page.Next);
            NewestUrl = cursor is null ? null : PageUrl(null);
        }
        catch (ReinProblemException e) when (e.Status < 500)
        {
            Problem = e.Field == "cursor"
                ? "The link to this page of requests is not valid (its cursor was not written by this server); start again from the first page."
                : e.Message;
            Response.StatusCode = e.Status;
        }
    }

    /// <summary>The key decides only some queues and lands on its own: "All queues" is then an explicit empty queue.</summary>
    public bool LimitedToQueues { get; private set; }

    /// <summary>This inbox with the same queue and status from a cursor (null: the first page).</summary>
    public string PageUrl(string? cursor) => InboxUrl(ShownQueue, ShownStatus, cursor, LimitedToQueues);

    /// <summary>The inbox of a queue (null: every queue) and status, pending being the default and left out.</summary>
    public static string InboxUrl(string? queue, string status, string? cursor = null, bool allQueues = false)
    {
        var query = new QueryBuilder();
        if (queue is not null || allQueues)
        {
            query.Add("queue", queue ?? "");
        }

        if (status != ApprovalStatuses.Pending)
        {
            query.Add("status", status);
        }

        if (cursor is not null)
        {
            query.Add("cursor", cursor);
        }

        return "/approvals" + query.ToQueryString();
    }
}
