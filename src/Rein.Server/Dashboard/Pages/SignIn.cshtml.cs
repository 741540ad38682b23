using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;
using Rein.Core.Identity;
using Rein.Server.Identity;

namespace Rein.Server.Dashboard.Pages;

/// <summary>Signs in with an API key. The key is checked exactly as the API checks a bearer key; the session cookie then
/// holds only the key's id, and every later request re-checks that the key is still active.</summary>
public sealed class SignInModel(ApiKeyAuthenticator authenticator, ILogger<SignInModel> logger) : PageModel
{
    public const string AgentRefusal = "agent keys cannot sign in to the dashboard; use a viewer, approver or admin key";

    /// <summary>Where to go after signing in; the cookie handler names it <c>ReturnUrl</c> when it sends people here.</summary>
    [BindProperty(SupportsGet = true, Name = "ReturnUrl")]
    public string? ReturnUrl { get; set; }

    /// <summary>The presented key. Never rendered back into the page and never logged.</summary>
    [BindProperty(Name = "apiKey")]
    public string? ApiKey { get; set; }

    public string? Error { get; private set; }

    public IActionResult OnGet() =>
        Caller.FromPrincipal(User) is not null ? LocalRedirect(SafeReturnUrl()) : Page();

    public async Task<IActionResult> OnPostAsync(CancellationToken cancellationToken)
    {
        var check = await authenticator.AuthenticateAsync(ApiKey, cancellationToken);
        ApiKey = null;
        var remote = HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (check.Caller is not { } caller)
        {
            Log.DashboardSignInRefused(logger, remote, check.Failure ?? "the API key was not accepted");
            return Refuse(check.Failure ?? "the API key was not accepted");
        }

        // Agent keys act; the dashboard is for the people who watch and steer agents.
        if (caller.Role == Role.Agent)
        {
            Log.DashboardSignInRefused(logger, remote, $"key {caller.KeyId} has role agent");
            return Refuse(AgentRefusal);
        }

        await HttpContext.SignInAsync(DashboardRegistration.CookieScheme, caller.ToPrincipal(DashboardRegistration.CookieScheme));
        Log.DashboardSignIn(logger, caller.KeyId, caller.Role.ToName(), caller.ProjectId);
        return LocalRedirect(SafeReturnUrl());
    }

    private PageResult Refuse(string reason)
    {
        Error = reason;
        return Page();
    }

    /// <summary>Only a path on this server: a ReturnUrl such as <c>//evil.example</c> or <c>https://...</c> would turn
    /// the sign-in form into an open redirect.</summary>
    private string SafeReturnUrl() => !string.IsNullOrEmpty(ReturnUrl) && Url.IsLocalUrl(ReturnUrl) ? ReturnUrl : "/";
}
