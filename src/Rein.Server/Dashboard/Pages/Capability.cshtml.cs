using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Rein.Server.Dashboard.Pages;

/// <summary>The one page of every capability that is not built yet: what it will do, and that it is not here yet.
/// It shows no data on purpose; an empty table would suggest there is nothing to see rather than nothing built.</summary>
public sealed class CapabilityModel : PageModel
{
    public DashboardSection Section { get; private set; } = null!;

    public IActionResult OnGet(string slug)
    {
        // The route constraint admits only planned capabilities; this is the same check, not a second list.
        if (DashboardSections.Planned(slug) is not { } section)
        {
            return NotFound();
        }

        Section = section;
        return Page();
    }
}
