using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Rein.Core.Identity;
using Rein.Server.Identity;

namespace Rein.Server.Dashboard.Pages;

/// <summary>
/// The project's keys, for admins: list, create, revoke, all through <see cref="KeyService"/> so the dashboard makes
/// exactly the changes (and audit entries) the API makes. A new key's value is rendered in the answer to the POST that
/// created it and nowhere else: it is not put in a redirect, a cookie or TempData.
/// </summary>
public sealed class KeysModel(KeyService keys, TimeProvider time) : PageModel
{
    public const int PageSize = Paging.DefaultLimit;

    /// <summary>Ten years: long enough for any real rotation schedule, short enough to catch a typo of extra zeros.</summary>
    public const int MaxExpiryDays = 3650;

    [BindProperty(Name = "name")]
    public string? NewName { get; set; }

    [BindProperty(Name = "role")]
    public string? NewRole { get; set; } = "agent";

    /// <summary>Bound as text so that a bad value gets our own message rather than model binding's.</summary>
    [BindProperty(Name = "expiresInDays")]
    public string? NewExpiresInDays { get; set; }

    /// <summary>Approval queues an approver key may decide, separated by commas; empty for every queue.</summary>
    [BindProperty(Name = "queues")]
    public string? NewQueues { get; set; }

    public Page<ApiKey> Listing { get; private set; } = new([], null);

    /// <summary>The cursor this page started after; null on the first page.</summary>
    public string? After { get; private set; }

    public DateTimeOffset Now { get; private set; }

    public Caller Caller { get; private set; } = null!;

    public CreatedKey? Created { get; private set; }

    public ApiKey? Revoked { get; private set; }

    public string? Error { get; private set; }

    /// <summary>The form field the error is about (as the service names it), or <c>revoke</c> for a refused revocation.</summary>
    public string? ErrorField { get; private set; }

    public async Task OnGetAsync(string? after, string? revoked, CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        if (!string.IsNullOrEmpty(revoked) && ApiKeyToken.IsValidId(revoked))
        {
            // Said only when it is true: the query string alone is not trusted to claim a revocation.
            var key = await keys.GetAsync(Caller, revoked, cancellationToken);
            Revoked = key?.RevokedAt is not null ? key : null;
        }

        await LoadAsync(after, cancellationToken);
    }

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        try
        {
            var expiresAt = ParseExpiry(NewExpiresInDays);
            Created = await keys.CreateAsync(Caller, NewName, NewRole, expiresAt, ParseQueues(NewQueues), cancellationToken);
            NewName = null;
            NewExpiresInDays = null;
            NewQueues = null;
            // The answer holds a secret: no cache may keep it, and the browser must not restore it from history.
            Response.Headers.CacheControl = "no-store";
        }
        catch (ReinProblemException e)
        {
            // A refusal about no one field (the active-key limit) shows above the form rather than beside a field.
            Fail(e, e.Field ?? "create");
        }

        await LoadAsync(null, cancellationToken);
        return Page();
    }

    public async Task<IActionResult> OnPostRevokeAsync(string? keyId, CancellationToken cancellationToken)
    {
        Caller = HttpContext.Caller();
        try
        {
            if (string.IsNullOrEmpty(keyId) || !ApiKeyToken.IsValidId(keyId))
            {
                throw ReinProblemException.NotFound($"project {Caller.ProjectId} has no key {keyId}");
            }

            await keys.RevokeAsync(Caller, keyId, cancellationToken);
            // Post/redirect/get: a reload must not repeat the revocation. If the key was the one signed in, the
            // redirected request is where the session ends (the cookie is re-checked against the key).
            return RedirectToPage("/Keys", new { revoked = keyId });
        }
        catch (ReinProblemException e)
        {
            Fail(e, "revoke");
        }

        await LoadAsync(null, cancellationToken);
        return Page();
    }

    public KeyState StateOf(ApiKey key) => key.StateAt(Now);

    private async Task LoadAsync(string? after, CancellationToken cancellationToken)
    {
        Now = time.GetUtcNow();
        After = string.IsNullOrEmpty(after) ? null : after;
        Listing = await keys.ListAsync(Caller, After, PageSize, cancellationToken);
    }

    private DateTimeOffset? ParseExpiry(string? days)
    {
        if (string.IsNullOrWhiteSpace(days))
        {
            return null;
        }

        return int.TryParse(days.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= MaxExpiryDays
            ? time.GetUtcNow().AddDays(n)
            : throw ReinProblemException.Invalid("expiresInDays", $"'{days.Trim()}' is not a number of days from 1 to {MaxExpiryDays}; leave it empty for a key that does not expire");
    }

    /// <summary>The queues typed, trimmed, empty entries dropped; null (every queue) when none. The service checks them.</summary>
    private static string[]? ParseQueues(string? queues)
    {
        var names = (queues ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return names.Length == 0 ? null : names;
    }

    private void Fail(ReinProblemException e, string field)
    {
        Error = e.Message;
        ErrorField = field;
        Response.StatusCode = e.Status;
    }
}
