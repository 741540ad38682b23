using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Identity;
using Rein.Server.Audit;
using Rein.Server.Identity;
using Rein.Server.Storage;

namespace Rein.Server.Dashboard.Pages;

/// <summary>The project, the signed-in key, the server and the audit chain at a glance.</summary>
public sealed class OverviewModel(ProjectService projects, KeyService keys, AuditLog audit, ReinDatabase database) : PageModel
{
    public Caller Caller { get; private set; } = null!;

    public Project? Project { get; private set; }

    public string DatabaseKind => database.KindName;

    /// <summary>Where the data lives is for admins only, as on <c>/api/v1/status</c>: a path or host name says more than a viewer needs.</summary>
    public string? DatabaseLocation { get; private set; }

    public long Keys { get; private set; }

    public long ActiveKeys { get; private set; }

    public long AuditEntries { get; private set; }

    public AuditVerification Verification { get; private set; } = null!;

    public async Task OnGetAsync(CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        Project = await projects.GetAsync(Caller, Caller.ProjectId, cancellationToken);
        DatabaseLocation = Caller.Role == Role.Admin ? database.Location : null;
        var counts = await keys.CountAsync(Caller, cancellationToken);
        (Keys, ActiveKeys) = (counts.Total, counts.Active);
        AuditEntries = await audit.CountAsync(Caller.ProjectId, cancellationToken);
        Verification = await audit.VerifyAsync(Caller.ProjectId, cancellationToken);
    }
}
