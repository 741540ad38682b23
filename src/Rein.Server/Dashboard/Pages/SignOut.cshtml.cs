using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;
using Rein.Server.Identity;

namespace Rein.Server.Dashboard.Pages;

/// <summary>Ends the session. Only a POST (with its antiforgery token) signs out, so a link on another site cannot;
/// a GET shows the button.</summary>
public sealed class SignOutModel(ILogger<SignOutModel> logger) : PageModel
{
    public async Task<IActionResult> OnPostAsync()
    {
        if (Caller.FromPrincipal(User) is { } caller)
        {
            Log.DashboardSignOut(logger, caller.KeyId, caller.ProjectId);
        }

        await HttpContext.SignOutAsync(DashboardRegistration.CookieScheme);
        return LocalRedirect("/signin");
    }
}
