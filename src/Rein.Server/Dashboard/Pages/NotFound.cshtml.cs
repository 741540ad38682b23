using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Server.Identity;

namespace Rein.Server.Dashboard.Pages;

/// <summary>
/// The dashboard's answer when a page has nothing to show (an approval request, run, span, session, decision or
/// policy that does not exist, or an address that is no page at all): the layout, what was asked for, and a link
/// back to the section it belongs to, with the status the page answered (404). The status code pages middleware
/// re-executes here (<see cref="DashboardRegistration.UseDashboardStatusPages"/>); the API keeps its problem details.
/// </summary>
public sealed class NotFoundModel : PageModel
{
    public int Status { get; private set; } = StatusCodes.Status404NotFound;

    public bool Missing => Status == StatusCodes.Status404NotFound;

    /// <summary>The path that was asked for.</summary>
    public string Asked { get; private set; } = "/";

    public string? Project { get; private set; }

    /// <summary>The navigation entry the asked path belongs to, else the overview.</summary>
    public DashboardSection Back { get; private set; } = DashboardSections.All[0];

    public void OnGet()
    {
        var original = HttpContext.Features.Get<IStatusCodeReExecuteFeature>();
        Asked = original is null ? Request.Path.Value ?? "/" : original.OriginalPathBase + original.OriginalPath;
        Status = original?.OriginalStatusCode ?? StatusCodes.Status404NotFound;
        Response.StatusCode = Status;
        Project = Caller.FromPrincipal(User)?.ProjectId;
        Back = DashboardSections.All.Skip(1).FirstOrDefault(s => s.Contains(Asked)) ?? DashboardSections.All[0];
    }
}
