using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Dashboard.Pages;

/// <summary>The project, the signed-in key, the server and the audit chain at a glance.</summary>
public sealed class OverviewModel(ProjectService projects, KeyService keys, AuditLog audit, ReinDatabase database, TimeProvider time) : PageModel
{
    /// <summary>KeyService has no count, so the listing is walked in its largest pages; past this many pages the overview
    /// says "at least" rather than let a project with very many revoked keys slow every visit down.</summary>
    internal const int MaxKeyPages = 10;

    public Caller Caller { get; private set; } = null!;

    public Project? Project { get; private set; }

    public string DatabaseKind => database.KindName;

    /// <summary>Where the data lives is for admins only, as on <c>/api/v1/status</c>: a path or host name says more than a viewer needs.</summary>
    public string? DatabaseLocation { get; private set; }

    public long Keys { get; private set; }

    public long ActiveKeys { get; private set; }

    /// <summary>True when the key counts stopped at <see cref="MaxKeyPages"/> pages and are lower bounds.</summary>
    public bool KeysCapped { get; private set; }

    public long AuditEntries { get; private set; }

    public AuditVerification Verification { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        Project = await projects.GetAsync(Caller, Caller.ProjectId, cancellationToken);
        DatabaseLocation = Caller.Role == Role.Admin ? database.Location : null;
        await CountKeysAsync(cancellationToken);
        AuditEntries = await audit.CountAsync(Caller.ProjectId, cancellationToken);
        Verification = await audit.VerifyAsync(Caller.ProjectId, cancellationToken);
    }

    private async Task CountKeysAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        string? after = null;
        for (var page = 0; page < MaxKeyPages; page++)
        {
            var listed = await keys.ListAsync(Caller, after, KeyService.MaxPageSize, cancellationToken);
            Keys += listed.Items.Count;
            ActiveKeys += listed.Items.Count(k => k.StateAt(now) == KeyState.Active);
            if (listed.Next is null)
            {
                return;
            }

            after = listed.Next;
        }

        KeysCapped = true;
    }
}
