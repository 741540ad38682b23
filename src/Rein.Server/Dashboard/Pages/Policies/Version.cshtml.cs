using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Identity;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Dashboard.Pages.Policies;

/// <summary>One version: its source as it was pushed, with line numbers to link to, and its embedded tests' results.</summary>
public sealed class PolicyVersionModel(PolicyService policies) : PageModel
{
    public PolicyVersionDetail Detail { get; private set; } = null!;

    /// <summary>The source's lines; a final newline does not make an empty last line.</summary>
    public IReadOnlyList<string> Lines { get; private set; } = [];

    public bool IsAdmin { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name, int version, CancellationToken cancellationToken)
    {
        var caller = HttpContext.Caller();
        if (!PolicyService.IsValidName(name) || version < 1 || await policies.GetVersionAsync(caller, name, version, cancellationToken) is not { } detail)
        {
            return NotFound();
        }

        Detail = detail;
        IsAdmin = caller.Role.Grants(Permission.Administer);
        var source = detail.Version.Source ?? "";
        var lines = source.ReplaceLineEndings("\n").Split('\n');
        Lines = lines.Length > 1 && lines[^1].Length == 0 ? lines[..^1] : lines;
        return Page();
    }
}
