using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Audit;
using Rein.Server.Audit;
using Rein.Server.Identity;

namespace Rein.Server.Dashboard.Pages;

/// <summary>The project's audit log, newest first, under the result of verifying the whole chain.</summary>
public sealed class AuditModel(AuditLog audit) : PageModel
{
    public const int PageSize = Paging.DefaultLimit;

    public IReadOnlyList<AuditEntry> Entries { get; private set; } = [];

    /// <summary>The sequence number this page started before; null on the newest page.</summary>
    public long? Before { get; private set; }

    /// <summary>The cursor for older entries; null when this page reaches the first entry.</summary>
    public long? Next { get; private set; }

    public AuditVerification Verification { get; private set; } = null!;

    public async Task OnGetAsync(long? before, CancellationToken cancellationToken)
    {
        var caller = HttpContext.Caller();
        Before = before is > 0 ? before : null;
        Verification = await audit.VerifyAsync(caller.ProjectId, cancellationToken);
        // One more than shown tells whether there is an older page without a count query.
        var entries = await audit.ListAsync(caller.ProjectId, Before, PageSize + 1, null, cancellationToken);
        Entries = [.. entries.Take(PageSize)];
        Next = entries.Count > PageSize ? Entries[^1].Seq : null;
    }
}
