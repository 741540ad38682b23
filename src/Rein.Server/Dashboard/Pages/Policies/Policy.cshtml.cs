using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Identity;
using Rein.Server.Identity;
using Rein.Server.Policies;

namespace Rein.Server.Dashboard.Pages.Policies;

/// <summary>
/// One policy: its versions, which one is active and how it got there, and for admins the buttons that change it.
/// Activation and rollback go through <see cref="PolicyService"/>, the same service as the API, so they are audited
/// the same way and a viewer is refused there whatever the page showed.
/// </summary>
public sealed class PolicyModel(PolicyService policies) : PageModel
{
    public PolicyHistory History { get; private set; } = null!;

    public Caller Caller { get; private set; } = null!;

    public bool IsAdmin => Caller.Role.Grants(Permission.Administer);

    /// <summary>The version a rollback would make active: the one active before the current activation; null when
    /// there is none (the service refuses then, and the page offers no button).</summary>
    public int? RollbackTarget { get; private set; }

    /// <summary>What the diff form offers first: the version before the newest against the newest.</summary>
    public int DiffFrom { get; private set; }

    public int DiffTo { get; private set; }

    /// <summary>The change just made, in words; said only when the policy's state agrees.</summary>
    public string? Notice { get; private set; }

    public string? Error { get; private set; }

    public async Task<IActionResult> OnGetAsync(string name, string? activated, string? rolledBack, CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        if (!await LoadAsync(name, cancellationToken))
        {
            return NotFound();
        }

        var policy = History.Policy;
        var last = History.Activations.Count > 0 ? History.Activations[0] : null;
        if (Number(activated) is { } a && policy.ActiveVersion == a && last?.Action == "activate")
        {
            Notice = $"Version {a} is active: the gate decides by it from the next decision on.";
        }
        else if (Number(rolledBack) is { } r && policy.ActiveVersion == r && last?.Action == "rollback")
        {
            Notice = $"Rolled back: version {r} is active again.";
        }

        return Page();
    }

    public async Task<IActionResult> OnPostActivateAsync(string name, int? version, CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        try
        {
            if (version is not { } v || v < 1)
            {
                throw ReinProblemException.Invalid("version", "is required: the version to activate");
            }

            var activated = await policies.ActivateAsync(Caller, name, v, cancellationToken);
            // Post/redirect/get: a reload must not activate again (after someone else changed it, say).
            return Redirect(PolicyView.PolicyUrl(activated.Name) + "?activated=" + activated.Version.ToString(CultureInfo.InvariantCulture));
        }
        catch (ReinProblemException e)
        {
            return await FailAsync(name, e, cancellationToken);
        }
    }

    public async Task<IActionResult> OnPostRollbackAsync(string name, CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        try
        {
            var active = await policies.RollbackAsync(Caller, name, cancellationToken);
            return Redirect(PolicyView.PolicyUrl(active.Name) + "?rolledBack=" + active.Version.ToString(CultureInfo.InvariantCulture));
        }
        catch (ReinProblemException e)
        {
            return await FailAsync(name, e, cancellationToken);
        }
    }

    private async Task<IActionResult> FailAsync(string name, ReinProblemException e, CancellationToken cancellationToken)
    {
        if (!await LoadAsync(name, cancellationToken))
        {
            return NotFound();
        }

        Error = e.Message;
        Response.StatusCode = e.Status;
        return Page();
    }

    private async Task<bool> LoadAsync(string name, CancellationToken cancellationToken)
    {
        // A name that cannot be a policy's is a page that does not exist, not a bad request.
        if (!PolicyService.IsValidName(name) || await policies.GetAsync(Caller, name, cancellationToken) is not { } history)
        {
            return false;
        }

        History = history;
        var activations = history.Activations;
        RollbackTarget = history.Policy.ActiveVersion is not null && activations.Count >= 2 ? activations[1].Version : null;
        DiffTo = history.Policy.LatestVersion;
        DiffFrom = Math.Max(1, DiffTo - 1);
        return true;
    }

    private static int? Number(string? value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1 ? n : null;
}
