using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Identity;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Dashboard.Pages.Policies;

/// <summary>
/// The project's policies and its kill switches. Switches are turned on and off through
/// <see cref="KillSwitchService"/>, the same service as the API, so the dashboard makes exactly the changes (and audit
/// entries) the API makes and a viewer is refused there too, whatever the page showed.
/// </summary>
public sealed class PoliciesModel(PolicyService policies, KillSwitchService switches) : PageModel
{
    [BindProperty(Name = "scope")]
    public string? NewScope { get; set; } = "tool";

    [BindProperty(Name = "target")]
    public string? NewTarget { get; set; }

    [BindProperty(Name = "agent")]
    public string? NewAgent { get; set; }

    [BindProperty(Name = "reason")]
    public string? NewReason { get; set; }

    public IReadOnlyList<PolicySummary> Policies { get; private set; } = [];

    public IReadOnlyList<KillSwitch> KillSwitches { get; private set; } = [];

    public Caller Caller { get; private set; } = null!;

    public bool IsAdmin => Caller.Role.Grants(Permission.Administer);

    /// <summary>The switch just turned on or off, as <see cref="KillSwitchService.Describe(KillSwitch)"/> names it; said only when
    /// the list agrees, so the address alone cannot claim a change.</summary>
    public string? Added { get; private set; }

    public string? Removed { get; private set; }

    public string? Error { get; private set; }

    /// <summary>The form field the error is about (as the service names it), <c>add</c> for one about no field,
    /// <c>kill</c> for a refused removal or a refusal of the caller's role; <c>load</c> when the lists could not be read.</summary>
    public string? ErrorField { get; private set; }

    public string? FieldError(string field) => ErrorField == field ? Error : null;

    public async Task OnGetAsync(string? added, string? removed, CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        await LoadAsync(cancellationToken);
        Added = added is not null && KillSwitches.Any(s => KillSwitchService.Describe(s) == added) ? added : null;
        Removed = removed is not null && KillSwitches.All(s => KillSwitchService.Describe(s) != removed) ? removed : null;
    }

    public async Task<IActionResult> OnPostAddKillAsync(CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        try
        {
            var added = await switches.AddAsync(Caller, NewScope, NewTarget, NewAgent, NewReason, cancellationToken);
            // Post/redirect/get: a reload must not send the form again.
            return Redirect("/policies?added=" + Uri.EscapeDataString(KillSwitchService.Describe(added.Switch)) + "#kill-switches");
        }
        catch (ReinProblemException e)
        {
            // A refusal of the role is shown above the list: a viewer has no form to show it beside.
            Fail(e, e.Status == StatusCodes.Status403Forbidden ? "kill" : e.Field is "scope" or "target" or "agent" or "reason" ? e.Field : "add");
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRemoveKillAsync(string? scope, string? target, string? agent, CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        try
        {
            var removed = await switches.RemoveAsync(Caller, scope, target, agent, cancellationToken);
            return Redirect("/policies?removed=" + Uri.EscapeDataString(KillSwitchService.Describe(removed)) + "#kill-switches");
        }
        catch (ReinProblemException e)
        {
            Fail(e, "kill");
        }

        await LoadAsync(cancellationToken);
        return Page();
    }

    private async Task LoadAsync(CancellationToken cancellationToken)
    {
        try
        {
            Policies = await policies.ListAsync(Caller, cancellationToken);
            KillSwitches = await switches.ListAsync(Caller, cancellationToken);
        }
        catch (ReinProblemException e) when (Error is null)
        {
            Fail(e, "load");
        }
    }

    private void Fail(ReinProblemException e, string field)
    {
        Error = e.Message;
        ErrorField = field;
        Response.StatusCode = e.Status;
    }
}
