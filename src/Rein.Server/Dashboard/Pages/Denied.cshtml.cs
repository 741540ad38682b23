using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Identity;
using Rein.Server.Identity;

namespace Rein.Server.Dashboard.Pages;

/// <summary>Where the cookie handler sends a signed-in key whose role does not reach the page it asked for.</summary>
public sealed class DeniedModel : PageModel
{
    [BindProperty(SupportsGet = true, Name = "ReturnUrl")]
    public string? ReturnUrl { get; set; }

    public Caller? Caller { get; private set; }

    /// <summary>The page that was refused, when it is a path on this server (anything else is not worth echoing).</summary>
    public string? Refused { get; private set; }

    /// <summary>The roles that may open the refused page, when it is one of the navigation's pages.</summary>
    public IReadOnlyList<string>? NeededRoles { get; private set; }

    public void OnGet()
    {
        Caller = Identity.Caller.FromPrincipal(User);
        Refused = !string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : null;
        var path = Refused?.Split('?', '#')[0].TrimEnd('/');
        var section = DashboardSections.All.FirstOrDefault(s => path is not null && string.Equals(s.Path.TrimEnd('/'), path, StringComparison.OrdinalIgnoreCase));
        NeededRoles = section is null ? null : Roles.Holding(section.Needs);
        Response.StatusCode = StatusCodes.Status403Forbidden;
    }
}
