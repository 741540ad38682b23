using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Rein.Server.Identity;

/// <summary>
/// <c>Authorization: Bearer &lt;api key&gt;</c> on the API and OTLP endpoints. A missing key answers 401, a role too weak
/// 403; both as problem details that say what was wrong.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    ApiKeyAuthenticator authenticator,
    IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";

    /// <summary>HttpContext.Items key under which the reason of a 403 is left for <see cref="HandleForbiddenAsync"/>.</summary>
    internal const string ForbiddenReasonItem = "rein.forbidden";

    private string? _failure;

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return AuthenticateResult.NoResult();
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            _failure = "the Authorization header must be 'Bearer <api key>'";
            return AuthenticateResult.Fail(_failure);
        }

        var check = await authenticator.AuthenticateAsync(header["Bearer ".Length..], Context.RequestAborted);
        if (check.Caller is null)
        {
            _failure = check.Failure;
            Log.AuthenticationFailed(Logger, _failure!);
            return AuthenticateResult.Fail(_failure!);
        }

        return AuthenticateResult.Success(new AuthenticationTicket(check.Caller.ToPrincipal(SchemeName), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = _failure is null ? "Bearer realm=\"rein\"" : "Bearer realm=\"rein\", error=\"invalid_token\"";
        return WriteAsync(StatusCodes.Status401Unauthorized, "Unauthorized",
            _failure is null ? "this endpoint needs an API key: send 'Authorization: Bearer <api key>'" : _failure);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return WriteAsync(StatusCodes.Status403Forbidden, "Forbidden",
            Context.Items[ForbiddenReasonItem] as string ?? "the API key's role does not allow this");
    }

    private async Task WriteAsync(int status, string title, string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
}
